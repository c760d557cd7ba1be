//! How times read on screen.

/// How long ago, roughly.
pub fn age(now_ms: u64, at_ms: u64) -> String {
    let secs = now_ms.saturating_sub(at_ms) / 1000;
    match secs {
        0..60 => "just now".to_string(),
        60..3_600 => format!("{} min ago", secs / 60),
        3_600..86_400 => format!("{} h ago", secs / 3_600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// What is left of `ms` as minutes and seconds: `4:07`.
pub fn countdown(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    format!("{}:{:02}", secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_roughly() {
        let now = 10 * 86_400_000;
        assert_eq!(age(now, now - 5_000), "just now");
        assert_eq!(age(now, now - 5 * 60_000), "5 min ago");
        assert_eq!(age(now, now - 3 * 3_600_000), "3 h ago");
        assert_eq!(age(now, now - 2 * 86_400_000), "2 d ago");
        assert_eq!(age(now, now + 1_000), "just now", "a clock step back is not negative");
    }

    #[test]
    fn a_countdown_reads_minutes_and_seconds_rounded_up() {
        assert_eq!(countdown(299_001), "5:00");
        assert_eq!(countdown(247_000), "4:07");
        assert_eq!(countdown(0), "0:00");
    }
}
