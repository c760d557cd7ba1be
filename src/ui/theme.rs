//! Design tokens: the colours, text sizes and spacing the panels draw with, one set of colours per
//! theme. Panels take their colours from [`of`]; [`Theme::paint`] gives egui's own widgets the same
//! ones, so a label, a link and a coloured status read alike. Every text colour meets WCAG AA
//! (4.5:1) on every background of its theme, and no text style is under [`MIN_TEXT`] at the
//! default text size: the tests below measure both.

use egui::{Color32, TextStyle, Ui, Visuals};

use crate::domain::TaskStatus;

/// One theme's colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// Panels and windows.
    pub panel: Color32,
    /// A shade off the panel: a message of the user's, a grid's stripes.
    pub faint: Color32,
    /// Text fields.
    pub field: Color32,
    /// Code in running text.
    pub code: Color32,
    /// Separators, and the outline of a card.
    pub border: Color32,
    /// Behind an added or removed diff line, and a hunk's chosen Accept or Reject.
    pub added: Color32,
    pub removed: Color32,
    /// Behind a match of find in file (the match gone to is outlined in `warning` too).
    pub found: Color32,
    /// Body text.
    pub text: Color32,
    /// Headings and emphasis.
    pub strong: Color32,
    /// Secondary text: hints, captions, line numbers.
    pub weak: Color32,
    pub link: Color32,
    /// Status text: done, passed, connected.
    pub ok: Color32,
    /// Status text: in progress.
    pub active: Color32,
    /// Status text: ready to start.
    pub ready: Color32,
    /// Status text: blocked, or worth a look (Craft findings, a sandbox that cannot be had).
    pub warning: Color32,
    /// Status text: failed, and errors.
    pub error: Color32,
    /// The usage plot's bars (no text on them): cached input, uncached input, output.
    pub series: [Color32; 3],
    /// Behind the matched text of a search result, drawn in `strong` on it.
    pub matched: Color32,
}

pub const DARK: Theme = Theme {
    panel: Color32::from_gray(27),
    faint: Color32::from_gray(36),
    field: Color32::from_gray(12),
    code: Color32::from_gray(46),
    border: Color32::from_gray(60),
    added: Color32::from_rgb(0x1B, 0x34, 0x21),
    removed: Color32::from_rgb(0x42, 0x20, 0x23),
    found: Color32::from_rgb(0x36, 0x2E, 0x08),
    text: Color32::from_gray(190),
    strong: Color32::from_gray(255),
    weak: Color32::from_gray(155),
    link: Color32::from_rgb(90, 170, 255),
    ok: Color32::from_rgb(0x5C, 0xB8, 0x5C),
    active: Color32::from_rgb(0x64, 0xAA, 0xEE),
    ready: Color32::from_rgb(0xD8, 0xC0, 0x60),
    warning: Color32::from_rgb(0xE0, 0xA0, 0x40),
    error: Color32::from_rgb(0xF0, 0x76, 0x68),
    series: [
        Color32::from_rgb(0x4C, 0x9A, 0x6A),
        Color32::from_rgb(0xC0, 0x8A, 0x3C),
        Color32::from_rgb(0x5A, 0x8C, 0xD0),
    ],
    matched: Color32::from_rgb(0x6B, 0x55, 0x00),
};

pub const LIGHT: Theme = Theme {
    panel: Color32::from_gray(248),
    faint: Color32::from_gray(236),
    field: Color32::from_gray(255),
    code: Color32::from_gray(230),
    border: Color32::from_gray(190),
    added: Color32::from_rgb(0xDC, 0xF5, 0xDC),
    removed: Color32::from_rgb(0xFA, 0xDF, 0xDF),
    found: Color32::from_rgb(0xFF, 0xEE, 0xA8),
    text: Color32::from_gray(50),
    strong: Color32::from_gray(0),
    weak: Color32::from_gray(96),
    link: Color32::from_rgb(0x00, 0x5F, 0xB8),
    ok: Color32::from_rgb(0x1E, 0x74, 0x2C),
    active: Color32::from_rgb(0x1A, 0x62, 0xB0),
    ready: Color32::from_rgb(0x7A, 0x5E, 0x00),
    warning: Color32::from_rgb(0x9A, 0x52, 0x00),
    error: Color32::from_rgb(0xB8, 0x22, 0x22),
    series: [
        Color32::from_rgb(0x3C, 0x86, 0x58),
        Color32::from_rgb(0xA8, 0x6E, 0x1E),
        Color32::from_rgb(0x3E, 0x70, 0xB8),
    ],
    matched: Color32::from_rgb(0xFF, 0xE0, 0x80),
};

/// A QR code stays dark on light whatever the theme: that is what phone cameras read.
pub const QR_DARK: Color32 = Color32::BLACK;
pub const QR_LIGHT: Color32 = Color32::WHITE;

/// The theme `ui` is drawn in.
pub fn of(ui: &Ui) -> &'static Theme {
    if ui.visuals().dark_mode { &DARK } else { &LIGHT }
}

impl Theme {
    /// A task's status as text colour.
    pub fn status(&self, status: TaskStatus) -> Color32 {
        match status {
            TaskStatus::Done => self.ok,
            TaskStatus::InProgress => self.active,
            TaskStatus::Ready => self.ready,
            TaskStatus::Failed => self.error,
            TaskStatus::Blocked => self.warning,
            TaskStatus::Pending => self.weak,
        }
    }

    /// Gives egui's widgets this theme's backgrounds and text colours.
    pub fn paint(&self, visuals: &mut Visuals) {
        visuals.panel_fill = self.panel;
        visuals.window_fill = self.panel;
        visuals.faint_bg_color = self.faint;
        visuals.extreme_bg_color = self.field;
        visuals.code_bg_color = self.code;
        visuals.widgets.noninteractive.bg_stroke.color = self.border;
        visuals.widgets.noninteractive.fg_stroke.color = self.text;
        visuals.widgets.active.fg_stroke.color = self.strong;
        visuals.weak_text_color = Some(self.weak);
        visuals.hyperlink_color = self.link;
        visuals.warn_fg_color = self.warning;
        visuals.error_fg_color = self.error;
    }
}

/// No text is drawn smaller than this at the default text size.
pub const MIN_TEXT: f32 = 11.0;

/// Each text style's size at the default text size; Settings' text size scales them all.
pub const TEXT_STYLES: [(TextStyle, f32); 5] = [
    (TextStyle::Small, MIN_TEXT),
    (TextStyle::Body, 13.0),
    (TextStyle::Button, 13.0),
    (TextStyle::Monospace, 13.0),
    (TextStyle::Heading, 18.0),
];

/// The app's name on the welcome.
pub const TITLE_SIZE: f32 = 26.0;
/// A pairing code, read off the screen and typed on a phone.
pub const PAIRING_CODE_SIZE: f32 = 28.0;

/// The gaps panels leave between their parts, smallest first: inside a row, between lines of one
/// part, between parts, between sections, above a panel's note when it has nothing to show.
pub const SPACE_XS: f32 = 2.0;
pub const SPACE_S: f32 = 4.0;
pub const SPACE_M: f32 = 8.0;
pub const SPACE_L: f32 = 12.0;
pub const SPACE_XL: f32 = 16.0;
/// Between a grid's columns, and its rows.
pub const GRID_SPACING: [f32; 2] = [SPACE_L, SPACE_S];

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2's relative luminance of an sRGB colour.
    fn luminance(colour: Color32) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(colour.r()) + 0.7152 * channel(colour.g()) + 0.0722 * channel(colour.b())
    }

    /// WCAG 2's contrast ratio, from 1 (none) to 21 (black on white).
    fn contrast(a: Color32, b: Color32) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    fn backgrounds(theme: &Theme) -> [(&'static str, Color32); 7] {
        [
            ("found", theme.found),
            ("panel", theme.panel),
            ("faint", theme.faint),
            ("field", theme.field),
            ("code", theme.code),
            ("added", theme.added),
            ("removed", theme.removed),
        ]
    }

    fn texts(theme: &Theme) -> [(&'static str, Color32); 9] {
        [
            ("text", theme.text),
            ("strong", theme.strong),
            ("weak", theme.weak),
            ("link", theme.link),
            ("ok", theme.ok),
            ("active", theme.active),
            ("ready", theme.ready),
            ("warning", theme.warning),
            ("error", theme.error),
        ]
    }

    #[test]
    fn the_contrast_ratio_is_wcags() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 1e-9);
        assert!((contrast(Color32::from_gray(118), Color32::WHITE) - 4.54).abs() < 0.01);
        assert_eq!(contrast(LIGHT.panel, LIGHT.panel), 1.0);
    }

    #[test]
    fn every_text_colour_meets_wcag_aa_on_every_background_of_both_themes() {
        for (name, theme) in [("dark", &DARK), ("light", &LIGHT)] {
            for (text, colour) in texts(theme) {
                for (background, fill) in backgrounds(theme) {
                    let ratio = contrast(colour, fill);
                    assert!(ratio >= 4.5, "{name}: {text} on {background} is {ratio:.2}:1, under 4.5:1");
                }
            }
        }
    }

    #[test]
    fn matched_text_stays_readable() {
        // The mark is a tint behind `strong` text (the rest of the line is in `text`), so the match
        // differs from its line in two ways, and the tint never has to shout.
        for theme in [&DARK, &LIGHT] {
            let ratio = contrast(theme.strong, theme.matched);
            assert!(ratio >= 4.5, "strong on matched is {ratio:.2}:1");
            assert_ne!(theme.matched, theme.panel);
        }
    }

    #[test]
    fn the_plot_bars_stand_out_from_the_panel() {
        // WCAG's 3:1 for graphics that carry meaning.
        for theme in [&DARK, &LIGHT] {
            for bar in theme.series {
                assert!(contrast(bar, theme.panel) >= 3.0, "{bar:?} on {:?}", theme.panel);
            }
        }
    }

    #[test]
    fn no_text_size_is_under_the_minimum() {
        for (style, size) in TEXT_STYLES {
            assert!(size >= MIN_TEXT, "{style:?} is {size} px");
        }
        for size in [TITLE_SIZE, PAIRING_CODE_SIZE] {
            assert!(size >= MIN_TEXT);
        }
    }

    #[test]
    fn painted_visuals_draw_with_the_tokens() {
        for (theme, mut visuals) in [(&DARK, Visuals::dark()), (&LIGHT, Visuals::light())] {
            theme.paint(&mut visuals);
            assert_eq!(visuals.text_color(), theme.text);
            assert_eq!(visuals.weak_text_color(), theme.weak);
            assert_eq!(visuals.strong_text_color(), theme.strong);
            assert_eq!(visuals.panel_fill, theme.panel);
        }
    }
}
