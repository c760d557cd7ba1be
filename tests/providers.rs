//! Every provider against the emulator on loopback: streaming, tool calls, usage and cache hits in
//! each format's own fields, retries, cancellation, and every kind of bad input.

use std::time::Duration;

use aura::domain::Usage;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::script::{Script, Step, Turn};
use aura::llm::{
    ChatMessage, ChatRequest, LlmError, ProviderConfig, ProviderKind, RetryPolicy, StopReason, StreamEvent,
    ToolCallRequest, ToolSpec,
};
use serde_json::json;

const ALL: [ProviderKind; 3] = [ProviderKind::Anthropic, ProviderKind::Openai, ProviderKind::Ollama];
const KEY: &str = "test-key-123";

fn fast_retries() -> RetryPolicy {
    RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(50) }
}

fn provider(emulator: &Emulator, kind: ProviderKind, key: Option<&str>) -> std::sync::Arc<dyn aura::llm::Provider> {
    ProviderConfig { kind, base_url: Some(emulator.base_url(kind)), api_key: key.map(str::to_string) }
        .connect(fast_retries())
}

/// Everything one reply said, gathered from its events.
#[derive(Debug, Default)]
struct Reply {
    text: String,
    reasoning: String,
    calls: Vec<Result<ToolCallRequest, String>>,
    usage: Usage,
    stop: Option<StopReason>,
    error: Option<LlmError>,
    events: usize,
}

async fn run(provider: &dyn aura::llm::Provider, request: ChatRequest) -> Reply {
    let mut stream = provider.stream(request);
    let mut reply = Reply::default();
    while let Some(item) = stream.next().await {
        reply.events += 1;
        match item {
            Ok(StreamEvent::TextDelta { text }) => reply.text.push_str(&text),
            Ok(StreamEvent::ReasoningDelta { text }) => reply.reasoning.push_str(&text),
            Ok(StreamEvent::ToolCallEnd { call, .. }) => reply.calls.push(call),
            Ok(StreamEvent::Usage { usage }) => reply.usage = usage,
            Ok(StreamEvent::Stop { reason }) => reply.stop = Some(reason),
            Ok(_) => {}
            Err(e) => reply.error = Some(e),
        }
    }
    reply
}

fn tool_request(model: &str, system: &str) -> ChatRequest {
    let mut request = ChatRequest::simple(model, "Read the README, please.");
    request.system = system.to_string();
    request.tools = vec![ToolSpec {
        name: "read_file".into(),
        description: "Read a file of the workspace".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
    }];
    request
}

#[tokio::test]
async fn every_format_streams_text_reasoning_and_tool_calls() {
    for kind in ALL {
        let script = Script::new(vec![Turn::steps(vec![
            Step::Reasoning { text: "The user wants the README.".into() },
            Step::Text { text: "I will read it — ✓ now.".into() },
            Step::ToolCall { name: "read_file".into(), arguments: r#"{"path": "README.md"}"#.into() },
        ])])
        .with_key(KEY)
        .with_model("test-model", 32_768);
        let emulator = Emulator::start(script).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), tool_request("test-model", "be brief")).await;
        assert!(reply.error.is_none(), "{kind:?}: {:?}", reply.error);
        assert_eq!(reply.text, "I will read it — ✓ now.", "{kind:?}");
        assert_eq!(reply.reasoning, "The user wants the README.", "{kind:?}");
        assert_eq!(reply.calls.len(), 1, "{kind:?}");
        let call = reply.calls[0].as_ref().unwrap();
        assert_eq!((call.name.as_str(), &call.arguments), ("read_file", &json!({"path": "README.md"})), "{kind:?}");
        assert!(!call.id.is_empty());
        assert_eq!(reply.stop, Some(StopReason::ToolUse), "{kind:?}");
        assert!(reply.usage.output_tokens > 0 && reply.usage.total_input() > 0, "{kind:?}: {:?}", reply.usage);
        assert!(reply.events > 10, "{kind:?} streamed in pieces, not at once ({} events)", reply.events);
    }
}

#[tokio::test]
async fn ollama_gets_num_ctx_from_the_models_real_context_length() {
    let script = Script::new(vec![Turn::text("one"), Turn::text("two")]).with_model("qwen3:8b", 40_960);
    let emulator = Emulator::start(script).await.unwrap();
    let ollama = provider(&emulator, ProviderKind::Ollama, None);
    for _ in 0..2 {
        assert!(run(&*ollama, ChatRequest::simple("qwen3:8b", "hi")).await.error.is_none());
    }
    let requests = emulator.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/api/show", "/api/chat", "/api/chat"], "the context length is asked once per model");
    for chat in requests.iter().filter(|r| r.path == "/api/chat") {
        assert_eq!(chat.body["options"]["num_ctx"], 40_960);
    }
}

/// A conversation whose second request repeats a long prefix: each format reports the cache hit
/// in its own fields, and Aura reads it into the same Usage.
#[tokio::test]
async fn prompt_cache_hits_are_reported_in_every_format() {
    let system = "You are Aura's worker. ".repeat(400); // about 2,200 tokens, over every minimum
    for (kind, model) in [
        (ProviderKind::Anthropic, "emu-sonnet"),
        (ProviderKind::Openai, "emu-gpt"),
        (ProviderKind::Openai, "deepseek-chat"),
        (ProviderKind::Ollama, "emu-llama"),
    ] {
        let emulator = Emulator::start(Script::new(vec![Turn::text("first"), Turn::text("second")])).await.unwrap();
        let p = provider(&emulator, kind, Some(KEY));
        let mut request = tool_request(model, &system);
        request.cache.session_key = Some("session-A".into());
        let cold = run(&*p, request.clone()).await.usage;
        request.messages.push(ChatMessage::Assistant { text: "first".into(), reasoning: None, tool_calls: vec![] });
        request.messages.push(ChatMessage::User { text: "And the specs?".into() });
        let warm = run(&*p, request).await.usage;
        assert_eq!(cold.cached_input_tokens, 0, "{kind:?} {model}: a cold cache");
        if kind == ProviderKind::Ollama {
            // Ollama reports only the tokens it evaluated: the reused KV prefix shows as a drop.
            assert!(warm.input_tokens * 10 < cold.input_tokens, "Ollama reuses its KV cache: {cold:?} then {warm:?}");
            continue;
        }
        assert!(
            warm.cached_input_tokens > 2_000 && warm.cache_hit_ratio() > 0.8,
            "{kind:?} {model}: the shared prefix is a hit: {warm:?}"
        );
        if kind == ProviderKind::Anthropic {
            assert!(cold.cache_write_tokens > 2_000, "Anthropic reports the write: {cold:?}");
        }
        if model.starts_with("deepseek") {
            assert_eq!(warm.cached_input_tokens % 64, 0, "DeepSeek counts 64-token blocks");
        } else if kind == ProviderKind::Openai {
            assert_eq!(warm.cached_input_tokens % 128, 0, "OpenAI counts 128-token steps");
        }
    }
}

#[tokio::test]
async fn the_openai_cache_key_is_stable_per_session_and_routes_the_cache() {
    let emulator = Emulator::start(Script::new(vec![Turn::text("a"), Turn::text("b"), Turn::text("c")])).await.unwrap();
    let p = provider(&emulator, ProviderKind::Openai, Some(KEY));
    let mut request = tool_request("emu-gpt", &"stable prefix ".repeat(600));
    request.cache.session_key = Some("session-A".into());
    run(&*p, request.clone()).await;
    assert!(run(&*p, request.clone()).await.usage.cached_input_tokens > 0);
    request.cache.session_key = Some("session-B".into());
    assert_eq!(run(&*p, request).await.usage.cached_input_tokens, 0, "another key routes to another cache");
    let keys: Vec<String> = emulator
        .requests()
        .iter()
        .map(|r| r.body["prompt_cache_key"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(keys, ["session-A", "session-A", "session-B"]);
}

#[tokio::test]
async fn rate_limits_and_overload_are_retried_before_the_stream_starts() {
    for kind in ALL {
        let script = Script::new(vec![
            Turn::steps(vec![Step::HttpError { status: 429, message: "slow down".into(), retry_after_secs: Some(0) }]),
            Turn::steps(vec![Step::HttpError { status: 529, message: "Overloaded".into(), retry_after_secs: None }]),
            Turn::text("made it"),
        ]);
        let emulator = Emulator::start(script).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), ChatRequest::simple("m", "hi")).await;
        assert!(reply.error.is_none(), "{kind:?}: {:?}", reply.error);
        assert_eq!(reply.text, "made it");
        assert_eq!(emulator.requests().iter().filter(|r| r.path != "/api/show").count(), 3, "{kind:?}");
    }
}

#[tokio::test]
async fn retries_are_bounded_and_say_so() {
    let busy = || Turn::steps(vec![Step::HttpError { status: 429, message: "quota".into(), retry_after_secs: None }]);
    let emulator = Emulator::start(Script::new(vec![busy(), busy(), busy(), Turn::text("too late")])).await.unwrap();
    let reply = run(&*provider(&emulator, ProviderKind::Openai, Some(KEY)), ChatRequest::simple("m", "hi")).await;
    let error = reply.error.expect("gives up");
    assert!(matches!(error, LlmError::RateLimited { attempts: 3, .. }), "{error}");
    assert!(error.to_string().contains("after 3 tries (quota)"), "{error}");
    assert_eq!(emulator.requests().len(), 3);
}

#[tokio::test]
async fn a_stream_that_started_is_never_retried() {
    for kind in ALL {
        let script = Script::new(vec![
            Turn::steps(vec![
                Step::Text { text: "partial answer".into() },
                Step::StreamError { kind: "overloaded_error".into(), message: "Overloaded".into() },
            ]),
            Turn::text("a second answer must not be asked for"),
        ]);
        let emulator = Emulator::start(script).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), ChatRequest::simple("m", "hi")).await;
        assert_eq!(reply.text, "partial answer", "{kind:?}: what arrived is kept");
        let error = reply.error.expect("the mid-stream error is reported");
        assert!(matches!(error, LlmError::StreamError { .. }), "{kind:?}: {error}");
        assert!(error.to_string().contains("Overloaded") && error.to_string().contains("retry"), "{error}");
        assert_eq!(emulator.requests().iter().filter(|r| r.path != "/api/show").count(), 1, "{kind:?}");
    }
}

#[tokio::test]
async fn a_wrong_key_says_which_key_to_check() {
    for (kind, env) in [(ProviderKind::Anthropic, "ANTHROPIC_API_KEY"), (ProviderKind::Openai, "OPENAI_API_KEY")] {
        let emulator = Emulator::start(Script::new(vec![Turn::text("never")]).with_key(KEY)).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some("wrong-key")), ChatRequest::simple("m", "hi")).await;
        let error = reply.error.expect("refused");
        assert!(matches!(error, LlmError::Unauthorized { .. }), "{kind:?}: {error}");
        assert!(error.to_string().contains(env), "{error}");
        assert_eq!(emulator.requests().len(), 1, "a 401 is not retried");
    }
}

#[tokio::test]
async fn an_unknown_model_is_named() {
    for kind in ALL {
        let emulator = Emulator::start(Script::new(vec![]).with_model("real-model", 8192)).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), ChatRequest::simple("no-such-model", "hi")).await;
        let error = reply.error.expect("404");
        assert!(matches!(error, LlmError::ModelNotFound { .. }), "{kind:?}: {error}");
        assert!(
            error.to_string().contains("\"no-such-model\"") && error.to_string().contains("aura doctor"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn connection_refused_asks_whether_the_server_runs() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = ProviderConfig {
        kind: ProviderKind::Ollama,
        base_url: Some(format!("http://127.0.0.1:{port}")),
        api_key: None,
    };
    let reply = run(&*config.connect(fast_retries()), ChatRequest::simple("qwen3:8b", "hi")).await;
    let error = reply.error.expect("refused");
    assert_eq!(
        error.to_string(),
        format!(
            "could not connect to http://127.0.0.1:{port}: is Ollama running on 127.0.0.1:{port}? Start it with `ollama serve`, or pass the right --base-url."
        )
    );
}

#[tokio::test]
async fn a_missing_cloud_key_is_caught_before_any_request() {
    let config = ProviderConfig { kind: ProviderKind::Anthropic, base_url: None, api_key: None };
    // SAFETY of the assertion: the key may be set on a developer's machine; only check when it is not.
    if std::env::var_os("ANTHROPIC_API_KEY").is_none() {
        let error = run(&*config.connect(fast_retries()), ChatRequest::simple("m", "hi")).await.error.unwrap();
        assert_eq!(
            error.to_string(),
            "no API key for Anthropic: set ANTHROPIC_API_KEY in the environment (or enter a key in Settings)"
        );
    }
}

#[tokio::test]
async fn a_stream_cut_mid_event_keeps_what_arrived() {
    for kind in ALL {
        let script = Script::new(vec![Turn::steps(vec![Step::Text { text: "half of it".into() }, Step::Cut])]);
        let emulator = Emulator::start(script).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), ChatRequest::simple("m", "hi")).await;
        assert_eq!(reply.text, "half of it", "{kind:?}");
        let error = reply.error.expect("cut");
        assert!(matches!(error, LlmError::StreamCut { .. }), "{kind:?}: {error}");
        assert!(error.to_string().contains("what arrived is kept"), "{error}");
    }
}

#[tokio::test]
async fn malformed_json_in_an_event_is_an_error_naming_it() {
    for kind in ALL {
        let script = Script::new(vec![Turn::steps(vec![Step::Text { text: "before".into() }, Step::Malformed])]);
        let emulator = Emulator::start(script).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), ChatRequest::simple("m", "hi")).await;
        assert_eq!(reply.text, "before");
        let error = reply.error.expect("malformed");
        assert!(matches!(error, LlmError::Malformed { .. }), "{kind:?}: {error}");
    }
}

#[tokio::test]
async fn unknown_event_types_are_ignored() {
    for kind in ALL {
        let script = Script::new(vec![Turn::steps(vec![
            Step::Text { text: "one ".into() },
            Step::UnknownEvent,
            Step::Text { text: "two".into() },
        ])]);
        let emulator = Emulator::start(script).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), ChatRequest::simple("m", "hi")).await;
        assert!(reply.error.is_none(), "{kind:?}: {:?}", reply.error);
        assert_eq!(reply.text, "one two", "{kind:?}");
    }
}

#[tokio::test]
async fn tool_arguments_that_are_not_json_are_reported_for_the_model() {
    for kind in ALL {
        let script = Script::new(vec![Turn::steps(vec![Step::ToolCall {
            name: "read_file".into(),
            arguments: "{\"path\": README".into(),
        }])]);
        let emulator = Emulator::start(script).await.unwrap();
        let reply = run(&*provider(&emulator, kind, Some(KEY)), tool_request("m", "")).await;
        assert!(reply.error.is_none(), "{kind:?}: the stream itself is fine");
        let problem = reply.calls[0].as_ref().expect_err("the call is unusable");
        assert!(problem.contains("read_file") && problem.contains("{\"path\": README"), "{kind:?}: {problem}");
    }
}

#[tokio::test]
async fn a_prompt_over_the_context_window_says_so() {
    for kind in [ProviderKind::Anthropic, ProviderKind::Openai] {
        let emulator =
            Emulator::start(Script::new(vec![Turn::text("never")]).with_model("small", 1_000)).await.unwrap();
        let reply =
            run(&*provider(&emulator, kind, Some(KEY)), ChatRequest::simple("small", "word ".repeat(2_000))).await;
        let error = reply.error.expect("too long");
        assert!(matches!(error, LlmError::ContextTooLong { .. }), "{kind:?}: {error}");
        assert!(error.to_string().contains("Start a new session"), "{error}");
    }
}

#[tokio::test]
async fn dropping_a_stream_cancels_the_request_at_once() {
    let mut script = Script::new(vec![Turn::text("slow words ".repeat(200))]);
    script.chunk_delay_ms = 20;
    let emulator = Emulator::start(script).await.unwrap();
    let p = provider(&emulator, ProviderKind::Openai, Some(KEY));
    let mut stream = p.stream(ChatRequest::simple("m", "hi"));
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    drop(stream);
    for _ in 0..100 {
        if emulator.disconnects() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the emulator never saw the client go away");
}
