//! The real `aura` binary: help, version, and doctor against real data dirs.

use std::path::Path;
use std::process::{Command, Output};

use aura::domain::{Message, Record, Role, SessionId};
use aura::store::{Store, StoreHandle, StoreOptions};

fn aura(args: &[&str], data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(args)
        .env("AURA_DATA_DIR", data_dir)
        .env_remove("ANTHROPIC_API_KEY")
        .env("DEEPSEEK_API_KEY", "sk-test-not-a-real-key")
        .output()
        .expect("run aura")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn help_names_the_commands_and_the_data_dir_flag() {
    let dir = tempfile::tempdir().unwrap();
    let output = aura(&["--help"], dir.path());
    assert!(output.status.success());
    let text = stdout(&output);
    for needle in ["Usage: aura", "doctor", "--data-dir", "AURA_DATA_DIR", "--version"] {
        assert!(text.contains(needle), "help lacks {needle:?}:\n{text}");
    }
}

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let output = aura(&["--version"], dir.path());
    assert!(output.status.success());
    assert_eq!(stdout(&output).trim(), format!("aura {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn doctor_on_a_new_data_dir_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let output = aura(&["doctor"], &data);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(&format!("Data dir:  {}", data.display())), "{text}");
    assert!(text.contains("Store:     not created yet"), "{text}");
    assert!(!data.exists(), "doctor must not create the store");
    assert!(text.contains("Anthropic  no key (ANTHROPIC_API_KEY)"), "{text}");
    assert!(text.contains("DeepSeek   key set (DEEPSEEK_API_KEY)"), "{text}");
    assert!(!text.contains("sk-test-not-a-real-key"), "a key must never be printed");
    for server in ["Ollama     :11434", "llama.cpp  :8080", "LM Studio  :1234", "vLLM       :8000"] {
        assert!(text.contains(server), "{server} missing:\n{text}");
    }
}

#[test]
fn doctor_reports_schema_and_counts_and_the_flag_beats_the_env() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store");
    let handle = StoreHandle::spawn(Store::open(&data, &StoreOptions::default()).unwrap()).unwrap();
    let session = SessionId::new();
    let records: Vec<Record> =
        (0..3).map(|i| Record::Message(Message::text(session, Role::User, format!("m{i}")))).collect();
    handle.write_blocking(move |w| w.append(session, &records)).unwrap();
    handle.close();

    let elsewhere = dir.path().join("unused");
    let output = aura(&["doctor", "--data-dir", data.to_str().unwrap()], &elsewhere);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(&format!("Data dir:  {}", data.display())), "{text}");
    assert!(text.contains("Store:     ok, schema version 1"), "{text}");
    assert!(text.contains("records 3"), "{text}");
    assert!(!elsewhere.exists());
}

#[test]
fn doctor_fails_clearly_on_a_file_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aura");
    std::fs::write(&file, "not a store").unwrap();
    let output = aura(&["doctor"], &file);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("is a file, not an Aura data directory"), "{err}");
    assert!(err.contains("--data-dir"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a store");
}

#[test]
fn an_unknown_command_is_refused_with_usage() {
    let dir = tempfile::tempdir().unwrap();
    let output = aura(&["frobnicate"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unrecognized subcommand 'frobnicate'"));
}

#[test]
fn drone_list_shows_built_ins_a_workspace_drone_and_a_broken_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let folder = workspace.path().join(".aura/drones");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("migrations.toml"),
        "name = \"migrations\"\nrole = \"db\"\nmodle = \"x\"\ninstructions = \"i\"\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("api-docs.toml"),
        "name = \"api-docs\"\nrole = \"documentation\"\ninstructions = \"Keep docs/api.md in step.\"\nmodel = \"ollama/qwen2.5-coder:7b\"\n",
    )
    .unwrap();
    let root = workspace.path().to_str().unwrap();
    let output = aura(&["drone", "list", "--workspace", root], dir.path());
    assert!(output.status.success(), "errors are listed, not fatal");
    let text = stdout(&output);
    for name in ["tests", "docs", "release-notes", "cleanup", "debug", "review", "ui-polish"] {
        assert!(text.lines().any(|l| l.starts_with(name) && l.contains("built-in")), "{name} missing:\n{text}");
    }
    assert!(text.lines().any(|l| l.starts_with("api-docs")
        && l.contains(".aura/drones/api-docs.toml")
        && l.contains("ollama/qwen2.5-coder:7b")));
    assert!(
        text.contains("error: .aura/drones/migrations.toml:3:1: unknown key \"modle\"; did you mean \"model\"?"),
        "{text}"
    );

    let json = aura(&["drone", "list", "--workspace", root, "--json"], dir.path());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["drones"].as_array().unwrap().len(), 8);
    assert_eq!(value["errors"].as_array().unwrap().len(), 1);

    // A workspace that cannot be read is an error, exit 1.
    let file = workspace.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let output = aura(&["drone", "list", "--workspace", file.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("could not be read"));
}

#[test]
fn float_flags_refuse_nan_infinities_and_values_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let run = ["run", "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"];
    for bad in ["NaN", "nan", "inf", "-infinity", "1.5", "-0.1", "eighty"] {
        let flag = format!("--rotation-threshold={bad}");
        let output = aura(&[&run[..], &[flag.as_str()]].concat(), dir.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad} was accepted: {stderr}");
        assert!(stderr.contains("--rotation-threshold"), "{bad}: {stderr}");
        assert!(stderr.contains("from 0 to 1, such as 0.8"), "{bad}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a refused flag starts nothing");
}
