//! Incremental framing of streamed bodies: Server-Sent Events (Anthropic, OpenAI-compatible) and
//! newline-delimited JSON (Ollama). Bytes arrive in arbitrary chunks, split anywhere, even inside a
//! UTF-8 character; frames come out as soon as their last byte is in. One event (or line) may be
//! at most [`MAX_EVENT_BYTES`]: a server that never ends one cannot grow memory without bound.

/// The largest single event or line kept. Real events are a few KiB; a whole file written by one
/// tool call in one delta stays well under this.
pub const MAX_EVENT_BYTES: usize = 4 << 20;

/// An event or line grew past [`MAX_EVENT_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an event larger than {} MiB", MAX_EVENT_BYTES >> 20)]
pub struct EventTooLarge;

/// One server-sent event: its `event:` type (if any) and its `data:` lines joined by newlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Splits a byte stream into complete lines, keeping an incomplete tail for the next chunk.
#[derive(Debug, Default)]
struct Lines {
    pending: Vec<u8>,
    /// A `\r` ended the previous chunk: a `\n` starting the next one belongs to it.
    after_cr: bool,
}

impl Lines {
    fn feed(
        &mut self,
        mut bytes: &[u8],
        mut line: impl FnMut(&[u8]) -> Result<(), EventTooLarge>,
    ) -> Result<(), EventTooLarge> {
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            if self.pending.len() + end > MAX_EVENT_BYTES {
                return Err(EventTooLarge);
            }
            if self.pending.is_empty() {
                line(&bytes[..end])?;
            } else {
                self.pending.extend_from_slice(&bytes[..end]);
                line(&self.pending)?;
                self.pending.clear();
            }
            let crlf = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if crlf {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
        }
        if self.pending.len() + bytes.len() > MAX_EVENT_BYTES {
            return Err(EventTooLarge);
        }
        self.pending.extend_from_slice(bytes);
        Ok(())
    }

    /// Bytes of a line that never ended.
    fn unfinished(&self) -> &[u8] {
        &self.pending
    }
}

/// The SSE decoder (WHATWG event-stream rules: `event`, `data`, comments, blank line dispatches).
#[derive(Debug, Default)]
pub struct SseDecoder {
    lines: Lines,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseDecoder {
    /// Feeds a chunk; complete events are pushed to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), EventTooLarge> {
        let Self { lines, event, data, has_data } = self;
        lines.feed(bytes, |line| {
            if line.is_empty() {
                if *has_data {
                    out.push(SseEvent { event: event.take(), data: std::mem::take(data) });
                }
                *event = None;
                *has_data = false;
                return Ok(());
            }
            let line = String::from_utf8_lossy(line);
            if line.starts_with(':') {
                return Ok(()); // a comment, used as a keep-alive
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line.as_ref(), ""),
            };
            match field {
                "event" => *event = Some(value.to_string()),
                "data" => {
                    if data.len() + value.len() >= MAX_EVENT_BYTES {
                        return Err(EventTooLarge); // many data lines of one event
                    }
                    if *has_data {
                        data.push('\n');
                    }
                    data.push_str(value);
                    *has_data = true;
                }
                _ => {} // id, retry and unknown fields do not matter here
            }
            Ok(())
        })
    }

    /// True when the stream ended in the middle of an event.
    pub fn is_mid_event(&self) -> bool {
        self.has_data || self.event.is_some() || !self.lines.unfinished().is_empty()
    }
}

/// The NDJSON decoder: one JSON document per line; blank lines are skipped.
#[derive(Debug, Default)]
pub struct NdjsonDecoder {
    lines: Lines,
}

impl NdjsonDecoder {
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<String>) -> Result<(), EventTooLarge> {
        self.lines.feed(bytes, |line| {
            if !line.iter().all(u8::is_ascii_whitespace) {
                out.push(String::from_utf8_lossy(line).into_owned());
            }
            Ok(())
        })
    }

    /// A last line without its newline (some servers end that way); `None` if nothing is left.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.lines.pending);
        (!rest.iter().all(u8::is_ascii_whitespace)).then(|| String::from_utf8_lossy(&rest).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse_all(chunks: &[&[u8]]) -> (Vec<SseEvent>, bool) {
        let mut decoder = SseDecoder::default();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out).unwrap();
        }
        (out, decoder.is_mid_event())
    }

    #[test]
    fn sse_events_come_out_whole_however_the_bytes_are_split() {
        let text = "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\nevent: ping\ndata: {}\r\n\r\ndata: line1\ndata: line2\n\n";
        let expected = vec![
            SseEvent { event: Some("message_start".into()), data: "{\"a\":1}".into() },
            SseEvent { event: Some("ping".into()), data: "{}".into() },
            SseEvent { event: None, data: "line1\nline2".into() },
        ];
        for split in 0..text.len() {
            let (a, b) = text.as_bytes().split_at(split);
            assert_eq!(sse_all(&[a, b]), (expected.clone(), false), "split at {split}");
        }
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        assert_eq!(sse_all(&bytes).0, expected);
    }

    #[test]
    fn a_utf8_character_split_across_chunks_survives() {
        let text = "data: héllo ✓\n\n".as_bytes();
        let cut = text.iter().position(|&b| b == 0xE2).unwrap() + 1; // inside the check mark
        let (events, _) = sse_all(&[&text[..cut], &text[cut..]]);
        assert_eq!(events[0].data, "héllo ✓");
    }

    #[test]
    fn a_stream_cut_mid_event_is_noticed() {
        assert!(sse_all(&[b"event: content_block_delta\ndata: {\"ty"]).1);
        assert!(sse_all(&[b"data: {}\n"]).1, "data without the blank line is unfinished");
        assert!(!sse_all(&[b"data: {}\n\n"]).1);
    }

    #[test]
    fn ndjson_lines_and_a_last_line_without_newline() {
        let mut decoder = NdjsonDecoder::default();
        let mut out = Vec::new();
        decoder.feed(b"{\"a\":1}\n\n{\"b\"", &mut out).unwrap();
        decoder.feed(b":2}\r\n{\"c\":3}", &mut out).unwrap();
        assert_eq!(out, ["{\"a\":1}", "{\"b\":2}"]);
        assert_eq!(decoder.finish().as_deref(), Some("{\"c\":3}"));
        assert_eq!(decoder.finish(), None);
    }

    #[test]
    fn an_event_or_line_past_the_cap_is_refused_whether_it_ends_or_not() {
        let big = vec![b'x'; MAX_EVENT_BYTES + 1];
        let mut sse = SseDecoder::default();
        assert_eq!(sse.feed(b"data: ", &mut Vec::new()), Ok(()));
        assert_eq!(sse.feed(&big, &mut Vec::new()), Err(EventTooLarge), "a line that never ends");
        let mut sse = SseDecoder::default();
        let line = [b"data: ".as_slice(), &big[..MAX_EVENT_BYTES / 2], b"\n"].concat();
        assert_eq!(sse.feed(&line, &mut Vec::new()), Ok(()));
        assert_eq!(sse.feed(&line, &mut Vec::new()), Err(EventTooLarge), "many data lines of one event");
        let mut ndjson = NdjsonDecoder::default();
        assert_eq!(ndjson.feed(&[&big[..], b"\n"].concat(), &mut Vec::new()), Err(EventTooLarge), "a whole line");
        let mut fine = SseDecoder::default();
        let mut out = Vec::new();
        fine.feed(&[b"data: ".as_slice(), &big[..MAX_EVENT_BYTES - 16], b"\n\n"].concat(), &mut out).unwrap();
        assert_eq!(out.len(), 1, "an event just under the cap passes");
    }
}
