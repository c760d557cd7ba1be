//! Finding local model servers for Settings, without holding up other commands.

use std::time::Duration;

use crate::llm::discovery::{LOCAL_SERVERS, ModelListing, Probe, probe_all};
use crate::protocol::{Event, LocalServerStatus};

use super::Engine;

impl Engine {
    /// Probes in the background and answers with [`Event::LocalServers`] when every port has answered
    /// or timed out.
    pub(super) fn discover_local_servers(&mut self) {
        let reply = self.reply();
        tokio::spawn(async move {
            let servers = probe_all(&LOCAL_SERVERS, Duration::from_millis(800))
                .await
                .into_iter()
                .map(|(server, probe)| {
                    let base_url = match server.listing {
                        ModelListing::OllamaTags => server.base_url(),
                        ModelListing::OpenAiModels => format!("{}/v1", server.base_url()),
                    };
                    let (models, problem) = match probe {
                        Probe::Reachable { models } => (Some(models), None),
                        Probe::Unexpected { detail } => (None, Some(detail)),
                        Probe::NotReachable => (None, Some("not running".to_string())),
                    };
                    LocalServerStatus { name: server.name.to_string(), base_url, models, problem }
                })
                .collect();
            reply.send(Event::LocalServers { servers });
        });
    }
}
