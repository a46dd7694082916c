"""Finding tickets by what people wrote: the subject, the description, the answers to the
request type's questions, the conversation and the names of attached files, in the searcher's
own scope (``access.py`` decides the tickets; this module asks ``access`` which of their words
count: internal notes and their files only for staff).

Two engines behind one condition, :func:`matching`:

- PostgreSQL: full-text search over GIN indexes of ``to_tsvector`` documents, each word stemmed
  in every language the module ships (English, German, French, Spanish, Dutch) and as written
  (``simple``), so "connections" finds "connection" and "Verbindungen" finds "Verbindung" in
  any tenant; the query is ``websearch_to_tsquery`` ("quoted phrases", -excluded words);
- SQLite: FTS5 tables kept by triggers (``porter`` stemming: English; every word also matches
  as a prefix, so "Verbindung" finds "Verbindungen").

A ticket number ("12", "#12") and any part of the subject are found as before.

Words typed wrong (PostgreSQL): a subject, description, answer or message with a word like the ones
typed (``pg_trgm``'s word similarity of at least 0.6, from trigram indexes: "conection" finds
"connection", "Rechnug" finds "Rechnung") is found too, ranked below what has the words
themselves. SQLite has no trigram matching in its default build: there, a word also finds the
words it begins, nothing more.

:func:`ranked` gives each ticket found its relevance ("Best match"): how well its parts match
(ts_rank on PostgreSQL, FTS5's bm25 on SQLite), summed over the parts that have the words, so
a ticket whose subject has them comes before one that mentions them once in a reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any, cast

from markupsafe import Markup, escape
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Index,
    Select,
    Subquery,
    Table,
    Text,
    case,
    column,
    event,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
    union,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql  # noqa: F401  (registers to_tsvector's types)
from sqlalchemy.sql.elements import ColumnClause

from . import access
from .models import Attachment, Base, Message, Ticket, TicketAnswer
from .schemas import typed_number
from .state import support
from .workflow import Role

#: PostgreSQL's text search configurations a document is stemmed in
LANGUAGES = ("simple", "english", "german", "french", "spanish", "dutch")
#: the words of a search that count (SQLite; PostgreSQL parses the search itself)
WORDS_MAX = 10
#: the fewest digits that find the tickets whose number holds them, not only the one it is
NUMBER_PART_MIN = 3
#: the fewest letters a search must have for words like them to count (PostgreSQL): fewer
#: are like too many words
SIMILAR_MIN = 4
#: a relevance is kept as a whole number of millionths: a page link names it exactly
RELEVANCE_SCALE = 1_000_000

#: what each part of a ticket adds to its relevance, besides its own rank
_WEIGHT = {
    "number": 10.0,
    "subject": 1.0,
    "number_part": 0.5,
    "file": 0.5,
    #: a word like the ones typed: its similarity (0.6 to 1) times this
    "similar_subject": 0.5,
    "similar_description": 0.25,
    "similar_message": 0.25,
    "similar_answer": 0.25,
}

_TICKET_TEXT: tuple[ColumnElement[str], ...] = tuple(
    Ticket.__table__.c[name]
    for name in ("subject", "issue_about", "expected_outcome", "current_scenario")
)
_MESSAGE_BODY: ColumnElement[str] = Message.__table__.c.body
_ANSWER_TEXT: ColumnElement[str] = TicketAnswer.__table__.c.text
#: what the issue is about: the description's one text every ticket has
_ISSUE_ABOUT: ColumnElement[str] = Ticket.__table__.c.issue_about


def _config(language: str) -> ColumnClause[object]:
    return literal_column(f"'{language}'::regconfig")


def _joined(parts: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    return reduce(lambda left, right: left.op("||")(right), parts)


def _document(*columns: ColumnElement[str]) -> ColumnElement[Any]:
    """The text search document of ``columns`` in every language (PostgreSQL); the indexes
    are made of this expression, so the searches use them."""
    texts: list[ColumnElement[Any]] = []
    for part in columns:
        # constants, not parameters: a search's expression must be the index's own, also in a
        # prepared statement's generic plan
        present = func.coalesce(part, literal_column("''"))
        texts += [literal_column("' '"), present] if texts else [present]
    joined = _joined(texts)
    return _joined([func.to_tsvector(_config(language), joined) for language in LANGUAGES])


def _query(words: str) -> ColumnElement[Any]:
    return _joined([func.websearch_to_tsquery(_config(language), words) for language in LANGUAGES])


# the indexes the searches read on PostgreSQL (SQLite has its FTS5 tables instead)
Index(
    "ix_support_ticket_search",
    _document(*_TICKET_TEXT),
    postgresql_using="gin",
    _table=cast(Table, Ticket.__table__),
).ddl_if(dialect="postgresql")
Index(
    "ix_support_message_search",
    _document(_MESSAGE_BODY),
    postgresql_using="gin",
    _table=cast(Table, Message.__table__),
).ddl_if(dialect="postgresql")

Index(
    "ix_support_ticket_answer_search",
    _document(_ANSWER_TEXT),
    postgresql_using="gin",
    _table=cast(Table, TicketAnswer.__table__),
).ddl_if(dialect="postgresql")


# parts of a subject or of a file's name, typed anywhere in it (ILIKE '%...%'), and words
# typed wrong: trigram indexes (the pg_trgm extension, created with them)
def _trigram_index(name: str, table: Any, expression: ColumnElement[Any], key: str) -> None:
    """A GIN trigram index of ``expression`` (named ``key`` in its operator classes), built
    on PostgreSQL only."""
    Index(
        name,
        expression,
        postgresql_using="gin",
        postgresql_ops={key: "gin_trgm_ops"},
        _table=cast(Table, table),
    ).ddl_if(dialect="postgresql")


_trigram_index(
    "ix_support_ticket_subject_trgm", Ticket.__table__, Ticket.__table__.c.subject, "subject"
)
_trigram_index(
    "ix_support_ticket_number_trgm",
    Ticket.__table__,
    sql_cast(Ticket.__table__.c.number, Text).label("number_text"),
    "number_text",
)
_trigram_index(
    "ix_support_ticket_issue_about_trgm",
    Ticket.__table__,
    Ticket.__table__.c.issue_about,
    "issue_about",
)
_trigram_index(
    "ix_support_ticket_answer_text_trgm",
    TicketAnswer.__table__,
    TicketAnswer.__table__.c.text,
    "text",
)
_trigram_index("ix_support_message_body_trgm", Message.__table__, Message.__table__.c.body, "body")
_trigram_index(
    "ix_support_attachment_filename_trgm",
    Attachment.__table__,
    Attachment.__table__.c.filename,
    "filename",
)


#: the indexes only PostgreSQL builds (SQLite searches its FTS5 tables): Alembic's comparison
#: on another database leaves them out
POSTGRESQL_ONLY_INDEXES = frozenset(
    {
        "ix_support_ticket_search",
        "ix_support_message_search",
        "ix_support_ticket_answer_search",
        "ix_support_ticket_subject_trgm",
        "ix_support_ticket_number_trgm",
        "ix_support_ticket_issue_about_trgm",
        "ix_support_message_body_trgm",
        "ix_support_ticket_answer_text_trgm",
        "ix_support_attachment_filename_trgm",
    }
)


def _with_trigrams(target: object, connection: Connection, **kw: object) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")


event.listen(Base.metadata, "before_create", _with_trigrams)


def matching(words: str, *, tenant_id: str, role: Role, dialect: str) -> ColumnElement[bool]:
    """Tickets of ``tenant_id`` whose number is ``words``, whose subject holds them, or whose
    description, conversation or files' names have them, as ``role`` may read them
    (``access``: internal notes and their files count for staff only); on PostgreSQL also
    those whose subject or conversation has words like them.

    One set of ids, each part read from an index (PostgreSQL: the text search indexes, and
    trigram indexes for the parts of a subject or a file's name and for words like the
    ones typed), so a list asks the few tickets found for its page instead of testing each of
    the tenant's tickets."""
    parts = [part for part, _ in _parts(words, tenant_id, role, dialect)]
    return Ticket.id.in_(union(*parts))


def ranked(words: str, *, tenant_id: str, role: Role, dialect: str) -> Subquery:
    """The tickets :func:`matching` finds, each once with its ``relevance`` (a whole number,
    larger is better): the sum of what each part that has the words adds. Columns:
    ``ticket_id``, ``relevance``."""
    scored = union_all(
        *(
            part.add_columns(score.label("score"))
            for part, score in _parts(words, tenant_id, role, dialect)
        )
    ).subquery("scored")
    relevance = func.round(func.sum(scored.c.score) * RELEVANCE_SCALE)
    return (
        select(
            scored.c.ticket_id.label("ticket_id"),
            sql_cast(relevance, BigInteger).label("relevance"),
        )
        .group_by(scored.c.ticket_id)
        .subquery("ranked")
    )


#: one part of a search: the ids of the tickets it finds, and what it adds to their relevance
_Part = tuple[Select[Any], ColumnElement[Any]]


def _parts(words: str, tenant_id: str, role: Role, dialect: str) -> list[_Part]:
    of_tenant = Ticket.tenant_id == tenant_id
    parts: list[_Part] = [
        (
            select(Ticket.id.label("ticket_id")).where(
                of_tenant, Ticket.subject.icontains(words, autoescape=True)
            ),
            _weight("subject"),
        ),
        _ticket_part(words, tenant_id, dialect),
        _message_part(words, tenant_id, role, dialect),
        (
            access.files_readable_by(
                select(Attachment.ticket_id.label("ticket_id")).where(
                    Attachment.tenant_id == tenant_id,
                    Attachment.filename.icontains(words, autoescape=True),
                ),
                role,
            ),
            _weight("file"),
        ),
        # the answers to a request type's questions: whoever sees the ticket reads them
        _answer_part(words, tenant_id, dialect),
    ]
    digits = words.strip().lstrip("#")
    number = typed_number(digits)
    if number is not None:
        ticket = select(Ticket.id.label("ticket_id"))
        parts.append((ticket.where(of_tenant, Ticket.number == number), _weight("number")))
        if len(digits) >= NUMBER_PART_MIN:  # a part of a longer number ("4021" of #40213)
            part = ticket.where(of_tenant, _number_text().contains(digits))
            parts.append((part, _weight("number_part")))
    elif dialect == "postgresql" and len(re.sub(r"\W", "", words)) >= SIMILAR_MIN:
        parts += _similar_parts(words, tenant_id, role)
    return parts


def _weight(part: str) -> ColumnElement[Any]:
    # a constant of the statement (the same for every search), not a parameter
    return literal_column(repr(_WEIGHT[part]))


def _ticket_part(words: str, tenant_id: str, dialect: str) -> _Part:
    """The tickets whose subject or description has the words, ranked by how well."""
    of_tenant = Ticket.tenant_id == tenant_id
    if dialect == "postgresql":
        document, query = _document(*_TICKET_TEXT), _query(words)
        part = select(Ticket.id.label("ticket_id")).where(of_tenant, document.op("@@")(query))
        return part, func.ts_rank(document, query)
    fts = _fts_ranked("support_ticket_fts", words)
    part = select(Ticket.id.label("ticket_id")).join(fts, fts.c.rowid == Ticket.id)
    return part.where(of_tenant), fts.c.score


def _answer_part(words: str, tenant_id: str, dialect: str) -> _Part:
    """The tickets whose answers to their request type's questions have the words, each
    answer ranked by how well."""
    of_tenant = TicketAnswer.tenant_id == tenant_id
    if dialect == "postgresql":
        document, query = _document(_ANSWER_TEXT), _query(words)
        part = select(TicketAnswer.ticket_id.label("ticket_id")).where(
            of_tenant, document.op("@@")(query)
        )
        return part, func.ts_rank(document, query)
    fts = _fts_ranked("support_ticket_answer_fts", words)
    part = select(TicketAnswer.ticket_id.label("ticket_id")).join(
        fts, fts.c.rowid == TicketAnswer.id
    )
    return part.where(of_tenant), fts.c.score


def _message_part(words: str, tenant_id: str, role: Role, dialect: str) -> _Part:
    """The tickets whose conversation (as ``role`` reads it) has the words, each message
    ranked by how well."""
    of_tenant = Message.tenant_id == tenant_id
    if dialect == "postgresql":
        document, query = _document(_MESSAGE_BODY), _query(words)
        part = select(Message.ticket_id.label("ticket_id")).where(
            of_tenant, document.op("@@")(query)
        )
        return access.messages_readable_by(part, role), func.ts_rank(document, query)
    fts = _fts_ranked("support_message_fts", words)
    part = select(Message.ticket_id.label("ticket_id")).join(fts, fts.c.rowid == Message.id)
    return access.messages_readable_by(part.where(of_tenant), role), fts.c.score


def _similar_parts(words: str, tenant_id: str, role: Role) -> list[_Part]:
    """PostgreSQL: the tickets whose subject, description ("what is it about"), answers to
    their request type's questions or conversation has words like ``words``
    (``pg_trgm``'s ``<%``: a word similarity of at least ``pg_trgm.word_similarity_threshold``,
    0.6 unless the database says otherwise), from the trigram indexes."""
    typed = literal(words, Text)
    subject = select(Ticket.id.label("ticket_id")).where(
        Ticket.tenant_id == tenant_id, typed.op("<%")(Ticket.subject)
    )
    description = select(Ticket.id.label("ticket_id")).where(
        Ticket.tenant_id == tenant_id, typed.op("<%")(_ISSUE_ABOUT)
    )
    message = select(Message.ticket_id.label("ticket_id")).where(
        Message.tenant_id == tenant_id, typed.op("<%")(_MESSAGE_BODY)
    )
    answer = select(TicketAnswer.ticket_id.label("ticket_id")).where(
        TicketAnswer.tenant_id == tenant_id, typed.op("<%")(_ANSWER_TEXT)
    )
    return [
        (subject, func.word_similarity(typed, Ticket.subject) * _weight("similar_subject")),
        (
            description,
            func.word_similarity(typed, _ISSUE_ABOUT) * _weight("similar_description"),
        ),
        (
            access.messages_readable_by(message, role),
            func.word_similarity(typed, _MESSAGE_BODY) * _weight("similar_message"),
        ),
        (answer, func.word_similarity(typed, _ANSWER_TEXT) * _weight("similar_answer")),
    ]


def _number_text() -> ColumnElement[str]:
    """A ticket's number as text (the trigram index's own expression on PostgreSQL)."""
    return sql_cast(Ticket.__table__.c.number, Text)


def _message_matches(words: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return _document(_MESSAGE_BODY).op("@@")(_query(words))
    return Message.id.in_(_fts_rows("support_message_fts", words))


def _fts_rows(table: str, words: str) -> Select[tuple[int]]:
    return (
        select(literal_column("rowid"))
        .select_from(text(table))
        .where(text(f"{table} MATCH :fts_query").bindparams(fts_query=fts_query(words)))
    )


def _fts_ranked(fts: str, words: str) -> Subquery:
    """SQLite: the rows of the FTS5 table ``fts`` that have the words (``rowid``) and how well
    (``score``: bm25, made larger-is-better)."""
    score = -func.bm25(literal_column(fts))
    return _fts_rows(fts, words).add_columns(score.label("score")).subquery(f"{fts}_found")


def fts_query(words: str) -> str:
    """An FTS5 query that finds every word of ``words`` (as a word or a word's beginning),
    whatever characters the person typed: each word is quoted, so nothing in it is syntax."""
    found = re.findall(r"\w+", words)[:WORDS_MAX]
    return " ".join(f'"{word}"*' for word in found) or '""'


# -- SQLite's FTS5 tables, created and dropped with the tables they index -------------------------

_FTS = {
    "support_ticket": (
        "support_ticket_fts",
        ("subject", "issue_about", "expected_outcome", "current_scenario"),
    ),
    "support_message": ("support_message_fts", ("body",)),
    "support_ticket_answer": ("support_ticket_answer_fts", ("text",)),
}


def fts_statements(table: str) -> list[str]:
    """The FTS5 table of ``table`` and the triggers that keep it (also used by the migration's
    history: its revision writes the same statements)."""
    fts, columns = _FTS[table]
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    remove = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    add = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN {remove} {add} END",
    ]


def _creating(table: str) -> Callable[..., None]:
    def create(target: object, connection: Connection, **kw: object) -> None:
        if connection.dialect.name == "sqlite":
            for statement in fts_statements(table):
                connection.exec_driver_sql(statement)

    return create


def _dropping(fts: str) -> Callable[..., None]:
    def drop(target: object, connection: Connection, **kw: object) -> None:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")

    return drop


for _model in (Ticket, Message, TicketAnswer):
    event.listen(_model.__table__, "after_create", _creating(_model.__tablename__))
    event.listen(_model.__table__, "before_drop", _dropping(_FTS[_model.__tablename__][0]))


# -- where the words were found -----------------------------------------------------------------

#: a snippet's words around what was found (PostgreSQL: ts_headline's; SQLite: snippet()'s)
SNIPPET_WORDS = 16
#: a message this long or shorter (in characters) is shown whole as its snippet (PostgreSQL)
SHORT_MESSAGE = 100
_START, _STOP = "\x01", "\x02"
#: the text search configuration that parses a snippet, by the reader's language
_HEADLINE_CONFIG = {"de": "german", "fr": "french", "es": "spanish", "nl": "dutch"}


def snippets(
    ticket_ids: Sequence[int], words: str, *, role: Role, dialect: str, language: str
) -> dict[int, Markup]:
    """For each of ``ticket_ids`` whose conversation has ``words``: the latest such message's
    words around them, the found words marked (``<mark>``), everything else escaped. One
    statement for a page."""
    if not ticket_ids:
        return {}
    if dialect == "postgresql":
        config = _config(_HEADLINE_CONFIG.get(language[:2], "english"))
        marks = f"StartSel={_START}, StopSel={_STOP}"
        options = f"{marks}, MaxWords={SNIPPET_WORDS}, MinWords=6"
        latest = select(func.max(Message.id)).where(
            Message.ticket_id.in_(ticket_ids), _message_matches(words, dialect)
        )
        latest = access.messages_readable_by(latest, role)
        query = _query(words)
        # a message of a few words is its own snippet: ts_headline gives such a message's
        # found word alone when the search's query names it in several languages
        excerpt: ColumnElement[Any] = case(
            (
                func.length(Message.body) <= SHORT_MESSAGE,
                func.ts_headline(config, Message.body, query, f"{marks}, HighlightAll=true"),
            ),
            else_=func.ts_headline(config, Message.body, query, options),
        )
        found = select(Message.ticket_id, excerpt).where(
            Message.id.in_(latest.group_by(Message.ticket_id))
        )
    else:
        excerpt = func.snippet(
            literal_column("support_message_fts"), 0, _START, _STOP, "…", SNIPPET_WORDS
        )
        fts = table("support_message_fts", column("rowid"))
        found = (
            select(Message.ticket_id, excerpt)
            .select_from(fts)
            .join(Message, Message.id == fts.c.rowid)
            .where(
                Message.ticket_id.in_(ticket_ids),
                text("support_message_fts MATCH :fts_query").bindparams(fts_query=fts_query(words)),
            )
            .order_by(Message.id.desc())
        )
    found = access.messages_readable_by(found, role)
    marked: dict[int, Markup] = {}
    for ticket_id, excerpt_text in support.session.execute(found):
        marked.setdefault(ticket_id, _marked(excerpt_text))
    return marked


def _marked(excerpt: str) -> Markup:
    return Markup(str(escape(excerpt)).replace(_START, "<mark>").replace(_STOP, "</mark>"))
