//! A QR code drawn with the painter: one filled square per dark module, on white with the quiet
//! zone scanners need, whatever the theme.

use egui::{Rect, Sense, Ui, Vec2, pos2, vec2};

use super::super::theme;

/// Modules of white around the code (the standard asks for four).
const QUIET: usize = 4;

/// The module matrix of one text, made once and drawn every frame.
pub struct Qr {
    text: String,
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    /// `None` if the text is too long for a QR code.
    pub fn of(text: &str) -> Option<Qr> {
        let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
        let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        Some(Qr { text: text.to_string(), width: code.width(), dark })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Draws the code at most `side` points wide, each module a whole number of pixels so no seams
    /// show between them.
    pub fn ui(&self, ui: &mut Ui, side: f32) -> egui::Response {
        let modules = self.width + 2 * QUIET;
        let pixels = ui.ctx().pixels_per_point();
        let module = ((side * pixels / modules as f32).floor().max(1.0)) / pixels;
        let size = module * modules as f32;
        let (rect, response) = ui.allocate_exact_size(Vec2::splat(size), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, theme::QR_LIGHT);
        let origin = rect.min + Vec2::splat(module * QUIET as f32);
        for (i, _) in self.dark.iter().enumerate().filter(|(_, dark)| **dark) {
            let (x, y) = ((i % self.width) as f32, (i / self.width) as f32);
            let min = pos2(origin.x + x * module, origin.y + y * module);
            painter.rect_filled(Rect::from_min_size(min, vec2(module, module)), 0.0, theme::QR_DARK);
        }
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::WidgetType::Image, true, format!("QR code of {}", self.text))
        });
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_makes_a_square_matrix_with_dark_and_light_modules() {
        let qr = Qr::of("http://127.0.0.1:7420/#code=7KQ2ZD").unwrap();
        assert_eq!(qr.dark.len(), qr.width * qr.width);
        assert!(qr.width >= 21, "version 1 is the smallest");
        // The finder pattern's corner is dark, the module beside its ring light.
        assert!(qr.dark[0]);
        assert!(!qr.dark[qr.width + 1]);
    }
}
