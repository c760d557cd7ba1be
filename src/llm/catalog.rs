//! The model catalog: context window, output limit and prices, so every request gets a cost. Models
//! are matched by the longest pattern contained in their id, the user's entries before the built-in
//! ones; a model nobody lists still works, its cost is just unknown.

use serde::{Deserialize, Serialize};

use crate::domain::Usage;

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    pub input: f64,
    pub cached_input: f64,
    pub cache_write: f64,
    pub output: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Matched against model ids as a substring: `sonnet-4` covers every dated Sonnet 4 release.
    pub pattern: String,
    pub context_window: u32,
    pub max_output: u32,
    pub prices: Option<Prices>,
}

/// The settings key under which the user's own entries are stored (a JSON list of [`ModelInfo`]).
pub const SETTINGS_KEY: &str = "model_catalog";

const fn p(input: f64, cached_input: f64, cache_write: f64, output: f64) -> Option<Prices> {
    Some(Prices { input, cached_input, cache_write, output })
}

/// Built-in entries, from the providers' published prices (November 2026 lists; edit in Settings).
const BUILTIN: &[(&str, u32, u32, Option<Prices>)] = &[
    // Anthropic: cache writes cost 1.25x input, cache reads 0.1x.
    ("opus-4-5", 200_000, 64_000, p(5.0, 0.50, 6.25, 25.0)),
    ("opus-4", 200_000, 32_000, p(15.0, 1.50, 18.75, 75.0)),
    ("sonnet-4", 200_000, 64_000, p(3.0, 0.30, 3.75, 15.0)),
    ("haiku-4-5", 200_000, 64_000, p(1.0, 0.10, 1.25, 5.0)),
    ("3-5-haiku", 200_000, 8_192, p(0.80, 0.08, 1.0, 4.0)),
    // OpenAI: cached input is discounted, there is no separate cache write.
    ("gpt-5-nano", 400_000, 128_000, p(0.05, 0.005, 0.0, 0.40)),
    ("gpt-5-mini", 400_000, 128_000, p(0.25, 0.025, 0.0, 2.0)),
    ("gpt-5", 400_000, 128_000, p(1.25, 0.125, 0.0, 10.0)),
    ("gpt-4.1-nano", 1_047_576, 32_768, p(0.10, 0.025, 0.0, 0.40)),
    ("gpt-4.1-mini", 1_047_576, 32_768, p(0.40, 0.10, 0.0, 1.60)),
    ("gpt-4.1", 1_047_576, 32_768, p(2.0, 0.50, 0.0, 8.0)),
    ("gpt-4o-mini", 128_000, 16_384, p(0.15, 0.075, 0.0, 0.60)),
    ("gpt-4o", 128_000, 16_384, p(2.50, 1.25, 0.0, 10.0)),
    ("o4-mini", 200_000, 100_000, p(1.10, 0.275, 0.0, 4.40)),
    // DeepSeek: cache hits are a tenth of misses.
    ("deepseek-chat", 128_000, 8_192, p(0.28, 0.028, 0.0, 0.42)),
    ("deepseek-reasoner", 128_000, 65_536, p(0.28, 0.028, 0.0, 0.42)),
    // Common local models: free to run; the windows are the models' own.
    ("qwen3", 40_960, 32_768, p(0.0, 0.0, 0.0, 0.0)),
    ("qwen2.5-coder", 32_768, 8_192, p(0.0, 0.0, 0.0, 0.0)),
    ("llama3", 131_072, 8_192, p(0.0, 0.0, 0.0, 0.0)),
    ("gemma3", 32_768, 8_192, p(0.0, 0.0, 0.0, 0.0)),
    ("gemma-3", 32_768, 8_192, p(0.0, 0.0, 0.0, 0.0)),
];

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    user: Vec<ModelInfo>,
}

impl Catalog {
    /// The built-in catalog with the user's entries in front.
    pub fn with_user_entries(user: Vec<ModelInfo>) -> Self {
        Catalog { user }
    }

    fn builtin() -> impl Iterator<Item = ModelInfo> {
        BUILTIN.iter().map(|&(pattern, context_window, max_output, prices)| ModelInfo {
            pattern: pattern.to_string(),
            context_window,
            max_output,
            prices,
        })
    }

    /// The entry for a model id: a user entry if any matches, else the built-in one with the
    /// longest matching pattern.
    pub fn lookup(&self, model: &str) -> Option<ModelInfo> {
        let id = model.to_ascii_lowercase();
        let best = |entries: &mut dyn Iterator<Item = ModelInfo>| {
            entries.filter(|e| id.contains(&e.pattern.to_ascii_lowercase())).max_by_key(|e| e.pattern.len())
        };
        best(&mut self.user.iter().cloned()).or_else(|| best(&mut Self::builtin()))
    }

    /// The request's cost in US dollars, when the model's prices are known.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let prices = self.lookup(model)?.prices?;
        let million = 1_000_000.0;
        Some(
            (usage.input_tokens as f64 * prices.input
                + usage.cached_input_tokens as f64 * prices.cached_input
                + usage.cache_write_tokens as f64 * prices.cache_write
                + usage.output_tokens as f64 * prices.output)
                / million,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_pattern_wins_and_dated_ids_match() {
        let catalog = Catalog::default();
        assert_eq!(catalog.lookup("gpt-4.1-mini-2025-04-14").unwrap().pattern, "gpt-4.1-mini");
        assert_eq!(catalog.lookup("gpt-4.1").unwrap().pattern, "gpt-4.1");
        assert_eq!(catalog.lookup("vendor-opus-4-5-20251101").unwrap().pattern, "opus-4-5");
        assert_eq!(catalog.lookup("qwen3:8b").unwrap().context_window, 40_960);
        assert!(catalog.lookup("my-own-finetune").is_none());
    }

    #[test]
    fn cost_counts_each_kind_of_token_at_its_price() {
        let catalog = Catalog::default();
        let usage = Usage {
            input_tokens: 1_000_000,
            cached_input_tokens: 2_000_000,
            cache_write_tokens: 1_000_000,
            output_tokens: 100_000,
            cost_usd: None,
        };
        let cost = catalog.cost("x-sonnet-4-5", &usage).unwrap();
        assert!((cost - (3.0 + 0.60 + 3.75 + 1.5)).abs() < 1e-9, "{cost}");
        assert_eq!(catalog.cost("unknown-model", &usage), None);
    }

    #[test]
    fn user_entries_override_and_add_models() {
        let mine = ModelInfo {
            pattern: "deepseek-chat".into(),
            context_window: 64_000,
            max_output: 4_000,
            prices: p(1.0, 0.0, 0.0, 2.0),
        };
        let fresh =
            ModelInfo { pattern: "my-own-finetune".into(), context_window: 8_192, max_output: 1_024, prices: None };
        let catalog = Catalog::with_user_entries(vec![mine, fresh]);
        assert_eq!(catalog.lookup("deepseek-chat").unwrap().context_window, 64_000);
        let usage = Usage { input_tokens: 1_000_000, ..Usage::default() };
        assert_eq!(catalog.cost("deepseek-chat", &usage), Some(1.0));
        assert_eq!(catalog.lookup("my-own-finetune").unwrap().max_output, 1_024);
        assert_eq!(catalog.cost("my-own-finetune", &usage), None);
    }
}
