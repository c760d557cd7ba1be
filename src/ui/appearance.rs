//! Theme and text size: applied to the context when they change, and set from Settings or the
//! palette (stored by the engine, so the next start looks the same).

use egui::{RichText, Ui};

use crate::protocol::{Appearance, Command};

use super::intents::Intents;

pub const FONT_SIZES: std::ops::RangeInclusive<f32> = 9.0..=24.0;

/// Sets the context's visuals and scales every text style from egui's defaults.
pub fn apply(ctx: &egui::Context, appearance: Appearance) {
    let defaults = egui::Style::default().text_styles;
    let scale = appearance.font_size.clamp(*FONT_SIZES.start(), *FONT_SIZES.end()) / 12.5;
    ctx.set_theme(if appearance.dark { egui::Theme::Dark } else { egui::Theme::Light });
    ctx.all_styles_mut(|style| {
        for (text_style, font) in style.text_styles.iter_mut() {
            if let Some(default) = defaults.get(text_style) {
                font.size = default.size * scale;
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
    fn text_sizes_stay_within_bounds() {
        let a = Appearance::default();
        assert_eq!(resized(a, 1.0).font_size, 13.5);
        assert_eq!(resized(Appearance { font_size: 24.0, ..a }, 1.0).font_size, 24.0);
        assert_eq!(resized(Appearance { font_size: 9.0, ..a }, -1.0).font_size, 9.0);
    }
}
