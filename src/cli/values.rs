//! Parsers for numeric flag values. Rust's `f64` parser accepts `NaN`, `inf` and `-infinity`, which
//! would pass every comparison silently wrong, so float flags go through these.

/// A share of a whole, from 0 to 1 (`--rotation-threshold 0.8`).
pub fn share(text: &str) -> Result<f64, String> {
    let value: f64 =
        text.trim().parse().map_err(|_| format!("{text:?} is not a number: give one from 0 to 1, such as 0.8"))?;
    if !value.is_finite() || !(0.0..=1.0).contains(&value) {
        return Err(format!("{text} is not a share: give a number from 0 to 1, such as 0.8"));
    }
    Ok(value)
}
