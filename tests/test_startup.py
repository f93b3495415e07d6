"""What `incentives run` does before its workers start is time no second core can share: the
modules it loads, and the collector while they load."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from conftest import RULES, SAMPLE_ARGS, printed_by
from incentives.cli import _collector_paused


def test_a_run_of_the_policies_as_written_loads_no_what_if_machinery(tmp_path: Path) -> None:
    """`incentives run` without --scenario or --set does not import `incentives.scenarios`
    (what-if runs do, and their manifests list the layers: test_what_if)."""
    script = (
        "import sys; from incentives.cli import main\n"
        f"sys.argv = ['incentives', 'run', *{list(SAMPLE_ARGS)!r}, '--out', "
        f"{str(tmp_path / 'out')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('incentives.scenarios')))\n"
    )
    found = printed_by(script)
    assert found[-1] == "[]"
    assert (tmp_path / "out" / "manifest.json").is_file()


# What each test below reads of a fresh interpreter after one `incentives run` on the sample
_AFTER_A_RUN = {
    "overrides": "sorted(m for m in sys.modules if m.startswith('incentives.rulebook.overrides'))",
    "plugins looked for": "'importlib.metadata' in sys.modules",
    "printable check": "sys.modules['yaml.reader'].Reader.NON_PRINTABLE.compiled",
}


@pytest.fixture(scope="module")
def after_a_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`_AFTER_A_RUN`'s expressions, as text, evaluated in a fresh interpreter after
    `incentives run` on the sample (which must have written its run folder): one run for all."""
    out = tmp_path_factory.mktemp("startup") / "out"
    script = (
        "import sys; from incentives.cli import main\n"
        f"sys.argv = ['incentives', 'run', *{list(SAMPLE_ARGS)!r}, '--out', {str(out)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        + "".join(f"print(repr({expression}))\n" for expression in _AFTER_A_RUN.values())
    )
    found = printed_by(script)
    assert (out / "manifest.json").is_file()
    return dict(zip(_AFTER_A_RUN, found[-len(_AFTER_A_RUN) :], strict=True))


def test_a_run_of_the_policies_as_written_loads_no_override_machinery(
    after_a_run: dict[str, str],
) -> None:
    """`incentives run` without --scenario or --set does not import the what-if overrides
    (`incentives.rulebook.overrides`: the path grammar, edits, layers), which only
    `Rulebook.with_overrides` uses (test_overrides, test_what_if)."""
    assert after_a_run["overrides"] == "[]"


def test_a_run_does_not_look_for_pydantic_plugins(after_a_run: dict[str, str]) -> None:
    """`incentives run` validates its policy files without pydantic's look for plugins, which
    imports `importlib.metadata` and reads every installed distribution's metadata (the
    policy language tells pydantic there are none)."""
    assert after_a_run["plugins looked for"] == "False"


def test_a_run_does_not_compile_pyyamls_pure_python_check(after_a_run: dict[str, str]) -> None:
    """The pure-Python YAML reader's check for non-printable characters (a pattern over all of
    Unicode) is compiled only if that reader reads: a run of valid policies parses them with
    libyaml, and never compiles it."""
    assert after_a_run["printable check"] == "None"


def test_a_non_printable_character_in_a_policy_is_reported_as_pyyaml_words_it(
    tmp_path: Path,
) -> None:
    """A control character in a policy file is refused with PyYAML's own message and where it
    is (its check, compiled on first use, is the pattern PyYAML writes)."""
    import yaml

    from incentives.errors import PolicyError
    from incentives.rulebook.rulebook import load_rules

    text = (RULES / "annual_bonus.yaml").read_text(encoding="utf-8")
    title = text.index("title:")
    rest = text.index("\n", title)
    (tmp_path / "annual_bonus.yaml").write_text(
        text[:title] + 'title: "Bon\x07us"' + text[rest:], encoding="utf-8"
    )
    with pytest.raises(PolicyError) as caught:
        load_rules(tmp_path)
    assert "unacceptable character #x0007: special characters are not allowed" in str(
        caught.value
    )
    with pytest.raises(yaml.YAMLError) as plain:
        yaml.load("a: \x07", Loader=yaml.SafeLoader)
    assert "special characters are not allowed" in str(plain.value)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_as_it_was_after_modules_load(enabled: bool) -> None:
    """The collector is paused while the CLI loads its modules, then on again only if it was
    on: a program that turned it off keeps it off."""
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with _collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_only_the_command_line_stands_in_for_pydantics_plugin_loader() -> None:
    """A program importing the library keeps pydantic's plugins (its real loader); the command
    line's stand-in finds none, and still answers any other name pydantic may ask of its
    loader with the real module's."""
    script = (
        "import sys\n"
        "import incentives.rulebook.rulebook\n"
        "import pydantic.plugin._loader as library\n"
        "print(hasattr(library, '__file__'))\n"
        "from incentives.rulebook.language.lean_start import no_pydantic_plugins\n"
        "del sys.modules['pydantic.plugin._loader']\n"
        "no_pydantic_plugins()\n"
        "stand_in = sys.modules['pydantic.plugin._loader']\n"
        "print(tuple(stand_in.get_plugins()), stand_in.PYDANTIC_ENTRY_POINT_GROUP)\n"
    )
    found = printed_by(script)
    assert found == ["True", "() pydantic"]
