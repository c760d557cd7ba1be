//! Theme and text size: applied to the context when they change, and set from Settings or the
//! palette (stored by the engine, so the next start looks the same).

use egui::{RichText, Ui};

use crate::protocol::{Appearance, Command};

use super::intents::Intents;
use super::theme;

pub const FONT_SIZES: std::ops::RangeInclusive<f32> = 9.0..=24.0;

/// Sets the theme, gives both of egui's styles the theme's colours, and sizes every text style
/// from the theme's sizes, scaled by the text size chosen.
pub fn apply(ctx: &egui::Context, appearance: Appearance) {
    let scale = appearance.font_size.clamp(*FONT_SIZES.start(), *FONT_SIZES.end()) / Appearance::default().font_size;
    ctx.set_theme(if appearance.dark { egui::Theme::Dark } else { egui::Theme::Light });
    ctx.style_mut_of(egui::Theme::Dark, |style| theme::DARK.paint(&mut style.visuals));
    ctx.style_mut_of(egui::Theme::Light, |style| theme::LIGHT.paint(&mut style.visuals));
    ctx.all_styles_mut(|style| {
        for (text_style, size) in theme::TEXT_STYLES {
            if let Some(font) = style.text_styles.get_mut(&text_style) {
                font.size = size * scale;
            }
        }
    });
}

/// The appearance with the text one point larger or smaller, within the allowed sizes.
pub fn resized(appearance: Appearance, by: f32) -> Appearance {
    Appearance { font_size: (appearance.font_size + by).clamp(*FONT_SIZES.start(), *FONT_SIZES.end()), ..appearance }
}

pub fn appearance_ui(ui: &mut Ui, appearance: &mut Appearance, intents: &mut Intents) {
    ui.strong("Appearance");
    let before = *appearance;
    let mut released = false;
    ui.horizontal(|ui| {
        ui.selectable_value(&mut appearance.dark, true, "Dark");
        ui.selectable_value(&mut appearance.dark, false, "Light");
        ui.separator();
        ui.label("Text size");
        let slider = ui.add(egui::Slider::new(&mut appearance.font_size, FONT_SIZES).step_by(0.5));
        released = slider.drag_stopped() || (slider.changed() && !slider.dragged());
        ui.label(RichText::new("(also Ctrl+= and Ctrl+- to zoom)").weak());
    });
    // The size follows the slider at once; it is stored when the slider is let go.
    if appearance.dark != before.dark || released {
        intents.send(Command::SetAppearance { appearance: *appearance });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_under_the_minimum_at_the_default_size_in_either_theme() {
        let ctx = egui::Context::default();
        for dark in [true, false] {
            apply(&ctx, Appearance { dark, ..Appearance::default() });
            let style = ctx.global_style();
            for (text_style, font) in &style.text_styles {
                assert!(font.size >= theme::MIN_TEXT, "{text_style:?} is {} px", font.size);
            }
            let theme = if dark { &theme::DARK } else { &theme::LIGHT };
            assert_eq!(style.visuals.text_color(), theme.text);
            assert_eq!(style.visuals.weak_text_color(), theme.weak);
        }
        apply(&ctx, Appearance { font_size: 18.75, ..Appearance::default() });
        assert_eq!(
            ctx.global_style().text_styles[&egui::TextStyle::Body].size,
            19.5,
            "the chosen size scales the theme's"
        );
    }

    #[test]
    fn text_sizes_stay_within_bounds() {
        let a = Appearance::default();
        assert_eq!(resized(a, 1.0).font_size, 13.5);
        assert_eq!(resized(Appearance { font_size: 24.0, ..a }, 1.0).font_size, 24.0);
        assert_eq!(resized(Appearance { font_size: 9.0, ..a }, -1.0).font_size, 9.0);
    }
}
