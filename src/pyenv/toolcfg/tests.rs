//! The decisions for the real configuration files of the corpus projects
//! (tests/data/projects, copied from their sdists), and for small
//! variations of them with a project environment.

use super::*;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/projects")
        .join(name)
}

fn decide(name: &str) -> PythonToolPlan {
    let root = corpus(name);
    plan(&ToolCfgSettings {
        root: &root,
        env: None,
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn file(name: &str, file: &str) -> Option<PathBuf> {
    Some(corpus(name).join(file))
}

#[test]
fn click_ruff_fixes_so_no_fix_and_mypy_has_files() {
    let p = decide("click");
    assert!(p.env.is_none());
    // [tool.ruff] fix = true
    assert!(p.ruff.fix_configured);
    assert!(p.ruff.used);
    assert_eq!(p.ruff.config, file("click", "pyproject.toml"));
    assert_eq!(
        p.ruff.check_argv,
        ["ruff", "check", "--force-exclude", "--no-fix"]
    );
    assert_eq!(p.formatter.tool, Formatter::Ruff);
    assert_eq!(
        p.formatter.check_argv,
        ["ruff", "format", "--force-exclude", "--check"]
    );
    assert_eq!(p.formatter.line_length, None);
    // [tool.mypy] files = ["src", "tests/typing"]
    assert_eq!(p.mypy.scope, MypyScope::Project);
    assert_eq!(p.mypy.targets, ["files = src, tests/typing"]);
    assert_eq!(p.mypy.argv, ["mypy"]);
    // addopts = "-m 'not stress'"; no pytest-cov anywhere.
    assert_eq!(p.pytest.config, file("click", "pyproject.toml"));
    assert!(!p.pytest.cov_in_addopts);
    assert!(!p.pytest.cov_available, "{}", p.pytest.cov_why);
    assert_eq!(p.pytest.argv, ["pytest"]);
}

#[test]
fn itsdangerous_like_click_with_requirements_files() {
    let p = decide("itsdangerous");
    assert!(p.ruff.fix_configured);
    assert_eq!(p.formatter.tool, Formatter::Ruff);
    assert_eq!(p.mypy.scope, MypyScope::Project);
    assert_eq!(p.mypy.targets, ["files = src/itsdangerous"]);
    assert_eq!(p.pytest.argv, ["pytest"]);
    // The requirements files are read: pytest is declared there.
    let files = ProjectFiles::read(&corpus("itsdangerous")).unwrap();
    let declared = files.declared();
    assert_eq!(
        declared.get("pytest").map(Vec::as_slice),
        Some(
            &[
                "requirements/dev.txt".to_string(),
                "requirements/tests.in".to_string(),
                "requirements/tests.txt".to_string(),
                "requirements/typing.in".to_string(),
                "requirements/typing.txt".to_string(),
            ][..]
        )
    );
    assert!(declared.contains_key("mypy"));
    assert!(!declared.contains_key("black"));
}

#[test]
fn attrs_ruff_at_79_and_mypy_without_files_gets_files() {
    let p = decide("attrs");
    assert!(!p.ruff.fix_configured);
    assert_eq!(p.formatter.tool, Formatter::Ruff);
    assert_eq!(p.formatter.line_length, Some(79));
    assert_eq!(
        p.formatter.why,
        "the default (the project configures no formatter)"
    );
    // [tool.mypy] without files: bare `mypy` would be a usage error.
    assert_eq!(p.mypy.scope, MypyScope::Files);
    assert_eq!(p.mypy.config, file("attrs", "pyproject.toml"));
    assert!(p.mypy.targets.is_empty());
    // The `cov` group has coverage, not pytest-cov.
    assert!(!p.pytest.cov_available);
    assert_eq!(p.pytest.argv, ["pytest"]);
}

#[test]
fn codespell_asks_for_coverage_in_its_addopts() {
    let p = decide("codespell");
    assert!(!p.ruff.fix_configured);
    assert_eq!(p.formatter.tool, Formatter::Ruff);
    assert_eq!(p.formatter.line_length, Some(88));
    assert_eq!(p.mypy.scope, MypyScope::Files);
    // addopts = ["--cov=codespell_lib", ...]; pytest-cov in the dev group.
    assert_eq!(p.pytest.config, file("codespell", "pyproject.toml"));
    assert!(p.pytest.cov_in_addopts);
    assert!(p.pytest.cov_available);
    assert!(
        p.pytest.cov_why.contains("[dependency-groups] dev"),
        "{}",
        p.pytest.cov_why
    );
    assert_eq!(p.pytest.argv, ["pytest"], "its addopts already say --cov");
}

#[test]
fn hupper_formats_with_black_at_79() {
    let p = decide("hupper");
    // No ruff configuration at all (the project lints with flake8).
    assert_eq!(p.ruff.config, None);
    assert!(!p.ruff.used);
    assert!(!p.ruff.fix_configured);
    assert_eq!(p.formatter.tool, Formatter::Black);
    assert_eq!(p.formatter.why, "[tool.black] in pyproject.toml");
    assert_eq!(p.formatter.line_length, Some(79));
    assert_eq!(p.formatter.fix_argv[..2], ["black", "--force-exclude"]);
    let exclude = &p.formatter.fix_argv[2];
    assert!(exclude.contains("| docs"), "{exclude}");
    assert_eq!(
        p.formatter.check_argv,
        [
            "black",
            "--check",
            "--diff",
            "--force-exclude",
            exclude.as_str()
        ]
    );
    assert_eq!(p.mypy.scope, MypyScope::Files);
    assert_eq!(p.mypy.config, None);
    // pytest.ini wins; pytest-cov is in the `testing` extra of setup.cfg.
    assert_eq!(p.pytest.config, file("hupper", "pytest.ini"));
    assert!(!p.pytest.cov_in_addopts);
    assert!(p.pytest.cov_available);
    assert!(
        p.pytest
            .cov_why
            .contains("setup.cfg [options.extras_require] testing"),
        "{}",
        p.pytest.cov_why
    );
    assert_eq!(
        p.pytest.argv,
        ["pytest", "--cov", "--cov-report=term-missing"]
    );
}

#[test]
fn more_itertools_configures_ruff_format_and_mypy_in_setup_cfg() {
    let p = decide("more-itertools");
    assert_eq!(p.formatter.tool, Formatter::Ruff);
    assert_eq!(p.formatter.why, "[tool.ruff.format] in pyproject.toml");
    assert_eq!(p.formatter.line_length, Some(79));
    assert_eq!(p.mypy.scope, MypyScope::Files);
    assert_eq!(p.mypy.config, file("more-itertools", "setup.cfg"));
    assert_eq!(p.pytest.config, None);
    assert_eq!(p.pytest.argv, ["pytest"]);
}

/// A project directory with these files and, when `dists` is given, a
/// `.venv` with those distributions installed.
fn project(
    files: &[(&str, &str)],
    dists: Option<&[&str]>,
) -> (tempfile::TempDir, Option<PythonEnv>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let env = dists.map(|dists| {
        let venv = dir.path().join(".venv");
        let sp = venv.join("lib/python3.11/site-packages");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(venv.join("pyvenv.cfg"), "version = 3.11.7\n").unwrap();
        for d in dists {
            let (name, version) = d.rsplit_once('-').unwrap();
            let info = sp.join(format!("{}-{version}.dist-info", name.replace('-', "_")));
            std::fs::create_dir_all(&info).unwrap();
            std::fs::write(
                info.join("METADATA"),
                format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"),
            )
            .unwrap();
        }
        super::super::find(dir.path(), &EnvHints::default()).expect("the venv is found")
    });
    (dir, env)
}

fn decide_in(
    dir: &tempfile::TempDir,
    env: Option<&PythonEnv>,
) -> Result<PythonToolPlan, ToolCfgError> {
    plan(&ToolCfgSettings {
        root: dir.path(),
        env,
    })
}

#[test]
fn the_environment_decides_pytest_cov_and_is_activated() {
    let hupper_setup = std::fs::read_to_string(corpus("hupper").join("setup.cfg")).unwrap();
    let files = [("setup.cfg", hupper_setup.as_str())];
    // Declared but not installed: pytest would reject --cov.
    let (dir, env) = project(&files, Some(&["pytest-8.0.0"]));
    let p = decide_in(&dir, env.as_ref()).unwrap();
    assert!(!p.pytest.cov_available);
    assert_eq!(
        p.pytest.cov_why,
        "pytest-cov is not installed in .venv (it is declared in setup.cfg [options.extras_require] testing)"
    );
    assert_eq!(p.pytest.argv, ["pytest"]);
    let act = p.env.expect("activation");
    assert_eq!(act.kind, EnvKind::Venv);
    assert_eq!(act.virtual_env, dir.path().join(".venv"));
    assert_eq!(act.bin_dir, dir.path().join(".venv/bin"));
    let path = act.path_var(Some(OsStr::new("/usr/bin:/x/.venv/bin:/bin")));
    let want = format!("{}:/usr/bin:/x/.venv/bin:/bin", act.bin_dir.display());
    assert_eq!(path, OsString::from(&want));
    // Already first: not repeated.
    assert_eq!(act.path_var(Some(path.as_os_str())), OsString::from(&want));

    // Installed, not declared (`Pytest_Cov` spelled as its dist-info is).
    let (dir, env) = project(&[], Some(&["pytest-cov-4.1.0", "black-24.1.0"]));
    let p = decide_in(&dir, env.as_ref()).unwrap();
    assert!(!p.ruff.used, "no ruff configured, declared or installed");
    assert!(p.pytest.cov_available);
    assert_eq!(p.pytest.cov_why, "pytest-cov is installed in .venv");
    assert_eq!(
        p.pytest.argv,
        ["pytest", "--cov", "--cov-report=term-missing"]
    );
    // black installed and nothing configured: black, no forced exclude.
    assert_eq!(p.formatter.tool, Formatter::Black);
    assert_eq!(p.formatter.why, "black is installed in .venv");
    assert_eq!(p.formatter.fix_argv, ["black"]);
    assert_eq!(p.formatter.check_argv, ["black", "--check", "--diff"]);
}

#[test]
fn ruff_format_configured_wins_over_black_and_ruff_toml_counts() {
    let (dir, _) = project(
        &[
            (
                "pyproject.toml",
                "[dependency-groups]\nlint = [\"black>=24\"]\n[tool.ruff]\nfix = false\n",
            ),
            (
                "ruff.toml",
                "fix = true\nline-length = 100\n[format]\nquote-style = \"single\"\n",
            ),
        ],
        None,
    );
    let p = decide_in(&dir, None).unwrap();
    assert!(p.ruff.fix_configured, "ruff.toml wins over pyproject.toml");
    assert!(p.ruff.used);
    assert_eq!(p.ruff.config, Some(dir.path().join("ruff.toml")));
    assert_eq!(p.formatter.tool, Formatter::Ruff);
    assert_eq!(
        p.formatter.why,
        "[format] in ruff.toml (it wins over black is declared in pyproject.toml [dependency-groups] lint)"
    );
    assert_eq!(p.formatter.line_length, Some(100));
}

#[test]
fn mypy_ini_wins_and_packages_count_as_targets() {
    let (dir, _) = project(
        &[
            ("mypy.ini", "[mypy]\npackages = app,\n  lib\n"),
            ("pyproject.toml", "[tool.mypy]\nfiles = [\"other\"]\n"),
        ],
        None,
    );
    let p = decide_in(&dir, None).unwrap();
    assert_eq!(p.mypy.config, Some(dir.path().join("mypy.ini")));
    assert_eq!(p.mypy.scope, MypyScope::Project);
    assert_eq!(p.mypy.targets, ["packages = app, lib"]);
    // An empty mypy.ini still shadows pyproject.toml, as in mypy.
    std::fs::write(dir.path().join("mypy.ini"), "").unwrap();
    let p = decide_in(&dir, None).unwrap();
    assert_eq!(p.mypy.scope, MypyScope::Files);
    // setup.cfg [mypy] with files, and modules in pyproject as a string.
    let (dir, _) = project(
        &[("setup.cfg", "[mypy]\nfiles = src/a.py, src/b.py\n")],
        None,
    );
    assert_eq!(
        decide_in(&dir, None).unwrap().mypy.targets,
        ["files = src/a.py, src/b.py"]
    );
    let (dir, _) = project(
        &[("pyproject.toml", "[tool.mypy]\nmodules = \"a, b\"\n")],
        None,
    );
    assert_eq!(
        decide_in(&dir, None).unwrap().mypy.targets,
        ["modules = a, b"]
    );
}

#[test]
fn pytest_config_precedence_and_addopts_forms() {
    let (dir, _) = project(
        &[
            ("setup.cfg", "[tool:pytest]\naddopts = --cov=pkg\n"),
            ("tox.ini", "[pytest]\naddopts = -ra\n"),
        ],
        None,
    );
    let p = decide_in(&dir, None).unwrap();
    assert_eq!(p.pytest.config, Some(dir.path().join("tox.ini")));
    assert!(!p.pytest.cov_in_addopts);
    std::fs::remove_file(dir.path().join("tox.ini")).unwrap();
    let p = decide_in(&dir, None).unwrap();
    assert_eq!(p.pytest.config, Some(dir.path().join("setup.cfg")));
    assert!(p.pytest.cov_in_addopts);
    // pytest 9's native table, addopts as a list.
    let (dir, _) = project(
        &[("pyproject.toml", "[tool.pytest]\naddopts = [\"--cov\"]\n")],
        None,
    );
    assert!(decide_in(&dir, None).unwrap().pytest.cov_in_addopts);
    // `--cov-report=` alone does not turn coverage on.
    let (dir, _) = project(
        &[("pytest.ini", "[pytest]\naddopts = \"--cov-report=\"\n")],
        None,
    );
    assert!(!decide_in(&dir, None).unwrap().pytest.cov_in_addopts);
}

#[test]
fn bad_configuration_names_the_file_and_key() {
    let (dir, _) = project(&[("pyproject.toml", "[tool.ruff]\nfix = \"yes\"\n")], None);
    let err = decide_in(&dir, None).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: `tool.ruff.fix` must be true or false, not string",
            dir.path().join("pyproject.toml").display()
        )
    );
    let (dir, _) = project(&[("pyproject.toml", "[tool.mypy\nfiles = 1\n")], None);
    let err = decide_in(&dir, None).unwrap_err().to_string();
    assert!(err.contains("pyproject.toml is not valid TOML"), "{err}");
    let (dir, _) = project(&[("pyproject.toml", "[tool.mypy]\nfiles = 3\n")], None);
    let err = decide_in(&dir, None).unwrap_err().to_string();
    assert!(
        err.ends_with("`tool.mypy.files` must be a string or a list of strings, not integer"),
        "{err}"
    );
    let (dir, _) = project(&[("pytest.ini", "[pytest]\naddopts = --x 'open\n")], None);
    let err = decide_in(&dir, None).unwrap_err().to_string();
    assert!(err.ends_with("`addopts` has an unclosed quote"), "{err}");
}

#[test]
fn hupper_lints_with_flake8_and_sorts_with_isort() {
    let p = decide("hupper");
    assert_eq!(
        p.flake8.map(|u| u.why).as_deref(),
        Some("[flake8] in .flake8")
    );
    assert_eq!(
        p.isort.map(|u| u.why).as_deref(),
        Some("[tool.isort] in pyproject.toml")
    );
    // click uses ruff: no flake8, whatever else it has; no isort.
    let p = decide("click");
    assert!(p.flake8.is_none());
    assert!(p.isort.is_none());
    // flake8 configured next to ruff: ruff wins.
    let (dir, env) = project(
        &[
            ("setup.cfg", "[flake8]\nmax-line-length = 100\n"),
            ("ruff.toml", "line-length = 100\n"),
        ],
        None,
    );
    let p = decide_in(&dir, env.as_ref()).unwrap();
    assert!(p.ruff.used);
    assert!(p.flake8.is_none());
}

#[test]
fn unittest_runs_the_tests_of_a_project_without_pytest() {
    let files = [
        ("setup.cfg", "[mypy]\nstrict = True\n"),
        ("tests/__init__.py", ""),
        ("tests/test_more.py", "import unittest\n"),
    ];
    let (dir, env) = project(&files, Some(&["mypy-1.0.0"]));
    let p = decide_in(&dir, env.as_ref()).unwrap();
    assert!(p.pytest.unittest);
    assert_eq!(p.pytest.argv, ["python", "-m", "unittest"]);
    // pytest installed: pytest.
    let (dir, env) = project(&files, Some(&["pytest-8.0.0"]));
    let p = decide_in(&dir, env.as_ref()).unwrap();
    assert!(!p.pytest.unittest);
    assert_eq!(p.pytest.argv, ["pytest"]);
    // No environment to ask: pytest, as before.
    let (dir, env) = project(&files, None);
    assert!(!decide_in(&dir, env.as_ref()).unwrap().pytest.unittest);
    // No test package: pytest (its step then says it is missing).
    let (dir, env) = project(&files[..1], Some(&["mypy-1.0.0"]));
    assert!(!decide_in(&dir, env.as_ref()).unwrap().pytest.unittest);
}
