//! A tool result as an agent reads it: text blocks joined, other content described in a line,
//! and everything past the caller's budget cut with a note saying how much.

use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};

/// The text of `result` and whether it was cut to `budget_bytes`.
pub fn render(result: &CallToolResult, budget_bytes: usize) -> (String, bool) {
    let mut text = Budget::new(budget_bytes);
    for (i, block) in result.content.iter().enumerate() {
        if i > 0 {
            text.push("\n");
        }
        match block {
            ContentBlock::Text(t) => text.push(&t.text),
            other => text.push(&describe(other)),
        }
    }
    if result.content.is_empty()
        && let Some(structured) = &result.structured_content
    {
        text.push(&structured.to_string());
    }
    text.finish()
}

/// One line for content an agent cannot read as text.
fn describe(block: &ContentBlock) -> String {
    match block {
        ContentBlock::Image(i) => format!("[image {}, {} bytes base64]", i.mime_type, i.data.len()),
        ContentBlock::Audio(a) => format!("[audio {}, {} bytes base64]", a.mime_type, a.data.len()),
        ContentBlock::Resource(r) => match &r.resource {
            ResourceContents::TextResourceContents { uri, text, .. } => format!("[resource {uri}]\n{text}"),
            ResourceContents::BlobResourceContents { uri, mime_type, blob, .. } => {
                format!("[resource {uri} ({}), {} bytes base64]", mime_type.as_deref().unwrap_or("binary"), blob.len())
            }
            _ => "[a resource of a kind Aura cannot show]".into(),
        },
        ContentBlock::ResourceLink(link) => format!("[resource link {} ({})]", link.uri, link.name),
        _ => "[content of a kind Aura cannot show]".into(),
    }
}

/// Text kept up to a byte budget (at a char boundary); the rest only counted.
struct Budget {
    kept: String,
    budget: usize,
    total: usize,
}

impl Budget {
    fn new(budget: usize) -> Budget {
        Budget { kept: String::new(), budget, total: 0 }
    }

    fn push(&mut self, piece: &str) {
        let cut_before = self.total > self.kept.len();
        self.total += piece.len();
        let room = self.budget.saturating_sub(self.kept.len());
        // Once a piece was cut, later ones would read as if they followed it: they are only counted.
        if cut_before {
            return;
        }
        if room >= piece.len() {
            self.kept.push_str(piece);
        } else if room > 0 {
            let mut end = room;
            while !piece.is_char_boundary(end) {
                end -= 1;
            }
            self.kept.push_str(&piece[..end]);
        }
    }

    fn finish(mut self) -> (String, bool) {
        let cut = self.total - self.kept.len();
        if cut == 0 {
            return (self.kept, false);
        }
        self.kept.push_str(&format!(
            "\n[truncated: {cut} of {} bytes cut to fit the {} byte budget; ask for less, e.g. a narrower query]",
            self.total, self.budget
        ));
        (self.kept, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_joined_and_cut_at_a_char_boundary_with_a_note() {
        let result = CallToolResult::success(vec![ContentBlock::text("héllo"), ContentBlock::text("world")]);
        assert_eq!(render(&result, 100), ("héllo\nworld".to_string(), false));
        let (text, truncated) = render(&result, 2);
        assert!(truncated);
        assert!(text.starts_with("h\n[truncated: 11 of 12 bytes cut"), "{text}");
    }

    #[test]
    fn images_are_described_not_inlined() {
        let result = CallToolResult::success(vec![ContentBlock::image("aGVsbG8=", "image/png")]);
        assert_eq!(render(&result, 100).0, "[image image/png, 8 bytes base64]");
    }
}
