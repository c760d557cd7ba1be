//! Prompt caching as the providers do it: a prompt is a token sequence, and a repeated prefix is
//! served from cache in fixed-size blocks. Anthropic caches the prefix up to a `cache_control`
//! breakpoint (at least 1024 tokens); OpenAI caches automatically from 1024 tokens in 128-token
//! steps; DeepSeek in 64-token blocks; Ollama reuses the previous prompt's KV cache per model.

use std::collections::{HashMap, HashSet};

/// A prompt flattened for caching: text segments in order, some ending at a breakpoint.
#[derive(Debug, Default, Clone)]
pub struct Prompt {
    text: Vec<u8>,
    /// Byte offsets where a breakpoint segment ends.
    breakpoints: Vec<usize>,
    /// Byte offsets where every segment (a content block) ends.
    ends: Vec<usize>,
}

impl Prompt {
    pub fn push(&mut self, segment: &str, breakpoint: bool) {
        self.text.extend_from_slice(segment.as_bytes());
        self.text.push(b'\n');
        self.ends.push(self.text.len());
        if breakpoint {
            self.breakpoints.push(self.text.len());
        }
    }

    /// Tokens in the whole prompt (the emulator's tokenizer: 4 bytes a token).
    pub fn tokens(&self) -> u64 {
        self.text.len().div_ceil(4) as u64
    }

    /// A hash of the first `tokens` tokens.
    fn prefix_hash(&self, tokens: u64) -> u64 {
        self.byte_prefix_hash(((tokens * 4) as usize).min(self.text.len())) ^ tokens
    }

    /// A hash of the first `end` bytes.
    fn byte_prefix_hash(&self, end: usize) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in &self.text[..end] {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash ^ end as u64
    }
}

/// Block boundaries before a breakpoint that Anthropic also checks for an earlier write.
const LOOKBACK_BLOCKS: usize = 20;

/// How one provider caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheRule {
    /// Explicit breakpoints, a minimum prefix, reads and writes reported apart.
    Breakpoints { minimum: u64 },
    /// Automatic: every block-aligned prefix from `minimum` on.
    Blocks { block: u64, minimum: u64 },
    /// One KV cache slot per model: the common prefix with the previous prompt.
    LastPrompt,
}

pub const ANTHROPIC: CacheRule = CacheRule::Breakpoints { minimum: 1024 };
pub const OPENAI: CacheRule = CacheRule::Blocks { block: 128, minimum: 1024 };
pub const DEEPSEEK: CacheRule = CacheRule::Blocks { block: 64, minimum: 64 };
pub const OLLAMA: CacheRule = CacheRule::LastPrompt;

/// What one request found and left in the cache, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheOutcome {
    pub total: u64,
    pub read: u64,
    pub written: u64,
}

#[derive(Debug, Default)]
pub struct PromptCache {
    /// (partition, prefix hash): a partition is a provider plus its routing key.
    prefixes: HashSet<(String, u64)>,
    last_prompt: HashMap<String, Vec<u8>>,
}

impl PromptCache {
    pub fn serve(&mut self, partition: &str, prompt: &Prompt, rule: CacheRule) -> CacheOutcome {
        let total = prompt.tokens();
        match rule {
            CacheRule::Breakpoints { minimum } => {
                // Prefixes are matched at exact block boundaries (bytes), counted in tokens.
                let tokens = |end: usize| end.div_ceil(4) as u64;
                let points: Vec<usize> =
                    prompt.breakpoints.iter().copied().filter(|&end| tokens(end) >= minimum).collect();
                // A read is found at a breakpoint, or at one of the block boundaries just before it.
                let lookups = points.iter().flat_map(|&end| {
                    let at = prompt.ends.partition_point(|&e| e <= end);
                    prompt.ends[at.saturating_sub(LOOKBACK_BLOCKS + 1)..at].iter().copied()
                });
                let read = lookups
                    .filter(|&e| {
                        tokens(e) >= minimum
                            && self.prefixes.contains(&(partition.to_string(), prompt.byte_prefix_hash(e)))
                    })
                    .map(tokens)
                    .max()
                    .unwrap_or(0);
                let furthest = points.iter().map(|&e| tokens(e)).max().unwrap_or(0);
                for &end in &points {
                    self.prefixes.insert((partition.to_string(), prompt.byte_prefix_hash(end)));
                }
                CacheOutcome { total, read, written: furthest.saturating_sub(read) }
            }
            CacheRule::Blocks { block, minimum } => {
                let candidates: Vec<u64> = (1..=total / block).map(|k| k * block).filter(|&t| t >= minimum).collect();
                let read = candidates
                    .iter()
                    .copied()
                    .filter(|&t| self.prefixes.contains(&(partition.to_string(), prompt.prefix_hash(t))))
                    .max()
                    .unwrap_or(0);
                for &t in &candidates {
                    self.prefixes.insert((partition.to_string(), prompt.prefix_hash(t)));
                }
                CacheOutcome { total, read, written: 0 }
            }
            CacheRule::LastPrompt => {
                let previous = self.last_prompt.insert(partition.to_string(), prompt.text.clone()).unwrap_or_default();
                let common = previous.iter().zip(&prompt.text).take_while(|(a, b)| a == b).count();
                CacheOutcome { total, read: (common / 4) as u64, written: 0 }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(parts: &[(&str, bool)]) -> Prompt {
        let mut p = Prompt::default();
        for (text, bp) in parts {
            p.push(text, *bp);
        }
        p
    }

    #[test]
    fn openai_caches_from_1024_tokens_in_128_token_steps() {
        let mut cache = PromptCache::default();
        let system = "s".repeat(4 * 1500);
        let first = prompt(&[(&system, false), ("question one", false)]);
        assert_eq!(cache.serve("openai", &first, OPENAI).read, 0, "a cold cache");
        let second = prompt(&[(&system, false), ("question two, longer", false)]);
        let outcome = cache.serve("openai", &second, OPENAI);
        assert_eq!(outcome.read, 1408, "the shared 1500-token prefix, floored to 128-token blocks");
        assert_eq!(outcome.read % 128, 0);
        let short = prompt(&[("s".repeat(4 * 900).as_str(), false)]);
        cache.serve("openai", &short, OPENAI);
        assert_eq!(cache.serve("openai", &short, OPENAI).read, 0, "under 1024 tokens nothing is cached");
        assert_eq!(cache.serve("other-key", &second, OPENAI).read, 0, "another routing key, another cache");
    }

    #[test]
    fn deepseek_counts_hits_in_64_token_blocks() {
        let mut cache = PromptCache::default();
        let a = prompt(&[("x".repeat(4 * 300).as_str(), false), ("a", false)]);
        let b = prompt(&[("x".repeat(4 * 300).as_str(), false), ("b", false)]);
        cache.serve("deepseek", &a, DEEPSEEK);
        assert_eq!(cache.serve("deepseek", &b, DEEPSEEK).read, 256);
    }

    #[test]
    fn anthropic_reads_and_writes_at_breakpoints_only() {
        let mut cache = PromptCache::default();
        let system = "y".repeat(4 * 2000);
        let first = prompt(&[(&system, true), ("turn one", true)]);
        let cold = cache.serve("anthropic", &first, ANTHROPIC);
        assert_eq!(cold.read, 0);
        assert_eq!(cold.written, first.tokens(), "everything up to the newest breakpoint is written");
        let second = prompt(&[(&system, true), ("turn one", false), ("turn two", true)]);
        let warm = cache.serve("anthropic", &second, ANTHROPIC);
        assert_eq!(warm.read, first.tokens(), "what the first request wrote, found by looking back one block");
        assert_eq!(warm.written, second.tokens() - first.tokens());
        // A conversation that moves its breakpoint to the newest block still reads what the
        // previous request wrote, found by looking back over block boundaries.
        let third = prompt(&[(&system, true), ("turn one", false), ("turn two", false), ("turn three", true)]);
        assert_eq!(cache.serve("anthropic", &third, ANTHROPIC).read, second.tokens());
        let unmarked = prompt(&[(&system, false), ("turn three", false)]);
        assert_eq!(
            cache.serve("anthropic", &unmarked, ANTHROPIC),
            CacheOutcome { total: unmarked.tokens(), read: 0, written: 0 }
        );
    }

    #[test]
    fn ollama_reuses_the_previous_prompt_of_the_same_model() {
        let mut cache = PromptCache::default();
        let a = prompt(&[("z".repeat(400).as_str(), false), ("first", false)]);
        let b = prompt(&[("z".repeat(400).as_str(), false), ("second", false)]);
        assert_eq!(cache.serve("qwen", &a, OLLAMA).read, 0);
        assert_eq!(cache.serve("qwen", &b, OLLAMA).read, 100);
    }
}
