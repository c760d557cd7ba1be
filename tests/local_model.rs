//! A real model, end to end: Gemma 3 270M served by llama.cpp on 127.0.0.1, reached through the
//! OpenAI-compatible provider by the real `aura chat`. Not part of the default run (building
//! llama.cpp takes a while on 2 cores). Run it with:
//!
//!     scripts/local-model.sh &            # first run sets up, then serves on 127.0.0.1:8080
//!     cargo test --test local_model -- --ignored
//!
//! `AURA_LOCAL_MODEL_URL` points it at another server (default http://127.0.0.1:8080/v1).

use std::process::Command;

#[test]
#[ignore = "needs scripts/local-model.sh running; run with: cargo test --test local_model -- --ignored"]
fn a_real_local_model_streams_a_reply_through_aura_chat() {
    let base = std::env::var("AURA_LOCAL_MODEL_URL").unwrap_or_else(|_| "http://127.0.0.1:8080/v1".into());
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["chat", "--provider", "openai", "--base-url", &base, "--model", "gemma-3-270m", "--max-tokens", "48"])
        .arg("Say hello to a new user of a coding tool, in one short sentence.")
        .env("AURA_DATA_DIR", data.path())
        .env_remove("OPENAI_API_KEY")
        .output()
        .expect("run aura chat");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "aura chat failed: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let usage = lines.last().expect("a usage line");
    let reply = lines[..lines.len() - 1].join("\n");
    println!("the model said: {reply}\n{usage}");
    assert!(reply.chars().filter(|c| c.is_alphabetic()).count() >= 2, "a real reply: {stdout}");
    assert!(usage.ends_with("cost $0 (local)"), "{usage}");
    // llama.cpp's own server reports usage; llama-cpp-python's ignores `include_usage`, and Aura says so.
    if *usage != "usage: not reported by llama.cpp · cost $0 (local)" {
        let output_tokens: u64 = usage.split("output ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert!(output_tokens > 0, "{usage}");
    }
}
