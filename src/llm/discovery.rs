//! Finding model providers: cloud keys in the environment, and local servers on their usual
//! loopback ports, with the models they serve.

use std::time::Duration;

use serde::Deserialize;

/// A cloud provider configured through an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudProvider {
    pub name: &'static str,
    pub key_env: &'static str,
}

pub const CLOUD_PROVIDERS: [CloudProvider; 3] = [
    CloudProvider { name: "Anthropic", key_env: "ANTHROPIC_API_KEY" },
    CloudProvider { name: "DeepSeek", key_env: "DEEPSEEK_API_KEY" },
    CloudProvider { name: "OpenAI", key_env: "OPENAI_API_KEY" },
];

impl CloudProvider {
    /// Whether its key is set (the key itself is never shown).
    pub fn configured(&self) -> bool {
        std::env::var_os(self.key_env).is_some_and(|v| !v.is_empty())
    }
}

/// How a local server lists its models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelListing {
    /// Ollama's `GET /api/tags`.
    OllamaTags,
    /// The OpenAI-compatible `GET /v1/models`.
    OpenAiModels,
}

/// A local model server Aura looks for on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalServer {
    pub name: &'static str,
    pub port: u16,
    pub listing: ModelListing,
}

pub const LOCAL_SERVERS: [LocalServer; 4] = [
    LocalServer { name: "Ollama", port: 11434, listing: ModelListing::OllamaTags },
    LocalServer { name: "llama.cpp", port: 8080, listing: ModelListing::OpenAiModels },
    LocalServer { name: "LM Studio", port: 1234, listing: ModelListing::OpenAiModels },
    LocalServer { name: "vLLM", port: 8000, listing: ModelListing::OpenAiModels },
];

/// What probing one local server found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Reachable {
        models: Vec<String>,
    },
    /// Something answers on the port but not like a model server.
    Unexpected {
        detail: String,
    },
    NotReachable,
}

impl LocalServer {
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn models_url(&self) -> String {
        match self.listing {
            ModelListing::OllamaTags => format!("{}/api/tags", self.base_url()),
            ModelListing::OpenAiModels => format!("{}/v1/models", self.base_url()),
        }
    }

    /// Asks the server for its models, giving up after `timeout`.
    pub async fn probe(&self, client: &reqwest::Client, timeout: Duration) -> Probe {
        let response = match client.get(self.models_url()).timeout(timeout).send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() || e.is_timeout() => return Probe::NotReachable,
            Err(e) => return Probe::Unexpected { detail: e.to_string() },
        };
        let status = response.status();
        if !status.is_success() {
            return Probe::Unexpected { detail: format!("{} answered {status}", self.models_url()) };
        }
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return Probe::Unexpected { detail: e.to_string() },
        };
        match parse_models(self.listing, &body) {
            Ok(models) => Probe::Reachable { models },
            Err(e) => Probe::Unexpected { detail: format!("its model list is not valid JSON: {e}") },
        }
    }
}

fn parse_models(listing: ModelListing, body: &[u8]) -> Result<Vec<String>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Named {
        #[serde(alias = "id")]
        name: String,
    }
    #[derive(Deserialize)]
    struct Tags {
        models: Vec<Named>,
    }
    #[derive(Deserialize)]
    struct List {
        data: Vec<Named>,
    }
    let named = match listing {
        ModelListing::OllamaTags => serde_json::from_slice::<Tags>(body)?.models,
        ModelListing::OpenAiModels => serde_json::from_slice::<List>(body)?.data,
    };
    Ok(named.into_iter().map(|n| n.name).collect())
}

/// Probes every server at once.
pub async fn probe_all(servers: &[LocalServer], timeout: Duration) -> Vec<(LocalServer, Probe)> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap_or_default();
    let probes = servers.iter().map(|server| {
        let client = client.clone();
        let server = *server;
        async move { (server, server.probe(&client, timeout).await) }
    });
    let handles: Vec<_> = probes.map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for (handle, server) in handles.into_iter().zip(servers) {
        results.push(handle.await.unwrap_or((*server, Probe::NotReachable)));
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_listings_parse() {
        let ollama = br#"{"models":[{"name":"qwen3:8b","size":1},{"name":"llama3.2:3b"}]}"#;
        assert_eq!(parse_models(ModelListing::OllamaTags, ollama).unwrap(), ["qwen3:8b", "llama3.2:3b"]);
        let openai = br#"{"object":"list","data":[{"id":"qwen2.5-coder-7b","object":"model"}]}"#;
        assert_eq!(parse_models(ModelListing::OpenAiModels, openai).unwrap(), ["qwen2.5-coder-7b"]);
        assert!(parse_models(ModelListing::OpenAiModels, b"<html>").is_err());
    }
}
