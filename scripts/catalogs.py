"""Extract, update, compile and check the module's message catalogs (developers only).

    python scripts/catalogs.py extract          # code and templates → the .pot
    python scripts/catalogs.py init -l fr       # start a new language from the .pot
    python scripts/catalogs.py update           # the .pot → every language's .po
    python scripts/catalogs.py compile          # every .po → its .mo
    python scripts/catalogs.py check            # exits 1 and lists what is missing or stale

The options come from the ``[extract_messages]``, ``[init_catalog]``, ``[update_catalog]`` and
``[compile_catalog]`` sections of ``setup.cfg``, passed to Babel's own command line, so
``setup.cfg`` stays the one place that says how messages are extracted. Arguments after the
command go to Babel unchanged (``update -l de``). ``pybabel`` itself does not read setup.cfg.

``check`` fails when a message in the code or the templates is missing from a shipped catalog,
when a catalog has fuzzy or untranslated entries or a translation whose placeholders do not
match, and when a ``.mo`` does not hold what compiling its ``.po`` would give.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SETUP_CFG = ROOT / "setup.cfg"

#: Our command → Babel's command and the setup.cfg section holding its options.
COMMANDS: dict[str, tuple[str, str]] = {
    "extract": ("extract", "extract_messages"),
    "init": ("init", "init_catalog"),
    "update": ("update", "update_catalog"),
    "compile": ("compile", "compile_catalog"),
}

#: Multiple-value options Babel splits on commas; the others are split on white space.
_COMMA_SEPARATED = frozenset({"add-comments"})


class ConfigError(Exception):
    """setup.cfg names an option Babel does not have, or a value it cannot use."""


def load_config(path: Path = SETUP_CFG) -> configparser.ConfigParser:
    """setup.cfg as read by setuptools: no ``%`` interpolation."""
    config = configparser.ConfigParser(interpolation=None)
    if not config.read(path, encoding="utf-8"):
        raise ConfigError(f"{path} could not be read")
    return config


def babel_argv(
    command: str,
    config: configparser.ConfigParser,
    overrides: Mapping[str, str] | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The argument list for Babel's ``CommandLineInterface().run`` for one of our commands.

    Every option of the command's setup.cfg section becomes a command-line option; each item
    of a multiple-value option (each keyword in ``keywords``) gets its own flag.

    Raises:
        ConfigError: for an option Babel's command does not know, or a bad boolean.
    """
    babel_command, section = COMMANDS[command]
    command_class = CommandLineInterface.command_classes[babel_command]
    options = dict(config[section]) if config.has_section(section) else {}
    options.update(overrides or {})

    flags = {
        long.rstrip("="): f"-{short}" if short else f"--{long.rstrip('=')}"
        for long, short, _ in command_class.user_options
    }
    positional_option = getattr(command_class, "as_args", None)
    argv = ["pybabel", babel_command]
    positional: list[str] = []
    for key, value in options.items():
        name = key.replace("_", "-")
        if name not in flags:
            raise ConfigError(f"[{section}] {key}: pybabel {babel_command} has no such option")
        if name == positional_option:
            positional = [p for p in re.split(r",\s*", value.strip()) if p]
        elif name in command_class.boolean_options:
            if _boolean(section, key, value):
                argv.append(flags[name])
        elif name in command_class.multiple_value_options:
            separator = "," if name in _COMMA_SEPARATED else None
            for item in value.split(separator):
                if item.strip():
                    argv += [flags[name], item.strip()]
        else:
            argv += [flags[name], value.strip()]
    if positional_option and not positional:
        # babel.cfg's patterns are relative to the project root
        positional = ["."]
    return [*argv, *extra, *positional]


def _boolean(section: str, key: str, value: str) -> bool:
    try:
        return configparser.ConfigParser.BOOLEAN_STATES[value.strip().lower()]
    except KeyError:
        raise ConfigError(f"[{section}] {key} = {value!r} is not a boolean") from None


def run_babel(
    command: str,
    extra: Sequence[str] = (),
    *,
    config: configparser.ConfigParser | None = None,
    overrides: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> int:
    """Run Babel's command line with the options from setup.cfg, in the project root."""
    argv = babel_argv(command, config or load_config(), overrides, extra)
    if quiet:
        argv.insert(1, "-q")
    with contextlib.chdir(ROOT):
        return CommandLineInterface().run(argv) or 0


def extract_messages(config: configparser.ConfigParser | None = None) -> Catalog:
    """The messages in the code and templates now, extracted as ``extract`` would."""
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "messages.pot"
        status = run_babel(
            "extract", config=config, overrides={"output_file": str(template)}, quiet=True
        )
        if status:
            raise RuntimeError(f"extracting the messages failed (pybabel exited {status})")
        with template.open("rb") as file:
            return read_po(file)


def catalog_settings(config: configparser.ConfigParser | None = None) -> tuple[Path, str]:
    """The translations folder and the domain, from setup.cfg's ``[compile_catalog]``."""
    section = (config or load_config())["compile_catalog"]
    return ROOT / section["directory"], section.get("domain", "messages")


def catalog_files(directory: Path, domain: str) -> dict[str, Path]:
    """Each language with a catalog in ``directory`` → its ``.po`` file."""
    return {
        po.parent.parent.name: po for po in sorted(directory.glob(f"*/LC_MESSAGES/{domain}.po"))
    }


@dataclass(frozen=True)
class Problem:
    """Something that keeps a catalog from being shipped."""

    language: str
    kind: str  # missing, fuzzy, untranslated, invalid, mo-missing, mo-stale
    message: str  # the msgid, or "" for the catalog as a whole
    detail: str = ""

    def __str__(self) -> str:
        subject = f" {self.message!r}" if self.message else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.language}: {self.kind}{subject}{detail}"


def catalog_problems(language: str, po_path: Path, template: Catalog) -> list[Problem]:
    """What is wrong with one language's ``.po`` (and the ``.mo`` beside it) against the
    messages extracted from the code (``template``)."""
    with po_path.open("rb") as file:
        catalog = read_po(file, locale=language)
    problems = [
        *_missing(language, catalog, template),
        *_unfinished(language, catalog),
    ]
    problems += _mo_problems(language, catalog, po_path.with_suffix(".mo"))
    return problems


def _missing(language: str, catalog: Catalog, template: Catalog) -> Iterable[Problem]:
    for wanted in template:
        if not wanted.id:
            continue  # the header
        found = catalog.get(wanted.id, wanted.context)
        if found is None or found.id != wanted.id:
            where = ", ".join(f"{file}:{line}" for file, line in wanted.locations)
            yield Problem(language, "missing", _msgid(wanted.id), f"used in {where}")


def _unfinished(language: str, catalog: Catalog) -> Iterable[Problem]:
    if catalog.fuzzy:
        yield Problem(language, "fuzzy", "", "the header is fuzzy, so compile skips it")
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            yield Problem(language, "fuzzy", _msgid(message.id))
        elif not all(strings):
            yield Problem(language, "untranslated", _msgid(message.id))
    for message, errors in catalog.check():
        for error in errors:
            yield Problem(language, "invalid", _msgid(message.id), str(error))


def _mo_problems(language: str, catalog: Catalog, mo_path: Path) -> list[Problem]:
    if not mo_path.exists():
        return [Problem(language, "mo-missing", "", f"{mo_path.name}: run compile")]
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    expected = read_mo(compiled)
    with mo_path.open("rb") as file:
        shipped = read_mo(file)
    if shipped.plural_forms != expected.plural_forms:
        return [Problem(language, "mo-stale", "", "plural forms differ: run compile")]
    wanted, present = _compiled_messages(expected), _compiled_messages(shipped)
    return [
        Problem(language, "mo-stale", _msgid(key[0]), "the .mo differs from the .po: run compile")
        for key in sorted(wanted.keys() | present.keys(), key=str)
        if wanted.get(key) != present.get(key)
    ]


def _compiled_messages(catalog: Catalog) -> dict[tuple[object, object], object]:
    """The translations a ``.mo`` holds, without its header (dates, generator)."""
    return {(_hashable(m.id), m.context): _hashable(m.string) for m in catalog if m.id}


def _hashable(value: object) -> object:
    """Plural ids and strings come as lists from a ``.mo`` and tuples from a ``.po``."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _msgid(message_id: object) -> str:
    """The singular of a plural message's id, or the id."""
    return str(message_id[0] if isinstance(message_id, tuple | list) else message_id)


def check_catalogs(
    directory: Path | None = None,
    domain: str | None = None,
    template: Catalog | None = None,
) -> list[Problem]:
    """Every problem in every shipped catalog; empty when all can be shipped.

    ``directory`` and ``domain`` default to setup.cfg's ``[compile_catalog]``, ``template``
    to the messages extracted from the code now.
    """
    config = load_config()
    default_directory, default_domain = catalog_settings(config)
    directory = directory or default_directory
    domain = domain or default_domain
    catalogs = catalog_files(directory, domain)
    if not catalogs:
        return [Problem("*", "missing", "", f"no {domain}.po under {directory}")]
    template = template if template is not None else extract_messages(config)
    return [
        problem
        for language, po_path in catalogs.items()
        for problem in catalog_problems(language, po_path, template)
    ]


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in (*COMMANDS, "check"):
        print(__doc__, file=sys.stderr)
        return 2
    command, extra = argv[0], argv[1:]
    try:
        if command != "check":
            return run_babel(command, extra)
        problems = check_catalogs()
    except ConfigError as error:
        print(f"setup.cfg: {error}", file=sys.stderr)
        return 2
    if problems:
        print(f"{len(problems)} catalog problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print(
            "Run `python scripts/catalogs.py extract` and `update`, translate, then `compile`.",
            file=sys.stderr,
        )
        return 1
    directory, domain = catalog_settings()
    languages = ", ".join(catalog_files(directory, domain))
    print(f"Catalogs complete and compiled: {languages}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
