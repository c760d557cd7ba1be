//! Long lists drawn by what is visible. Each row's height is measured when it is drawn and kept;
//! rows never drawn count with an estimate. Only rows inside the viewport are laid out, so a list of
//! ten thousand messages costs what the few on screen cost.

use egui::{Align, Layout, Rect, ScrollArea, Sense, Ui, UiBuilder, vec2};

#[derive(Debug, Default)]
pub struct RowHeights {
    heights: Vec<f32>,
}

impl RowHeights {
    /// Forgets measured heights (after the rows were replaced).
    pub fn clear(&mut self) {
        self.heights.clear();
    }

    /// Draws rows `0..count` in `scroll`, calling `row_ui` only for the visible ones.
    pub fn rows_ui(
        &mut self,
        ui: &mut Ui,
        scroll: ScrollArea,
        count: usize,
        estimate: f32,
        mut row_ui: impl FnMut(&mut Ui, usize),
    ) {
        self.heights.resize(count, estimate);
        scroll.show_viewport(ui, |ui, viewport| {
            let gap = ui.spacing().item_spacing.y;
            let origin = ui.cursor().min;
            let width = ui.available_width();
            let mut y = 0.0;
            let mut row = 0;
            while row < count && y + self.heights[row] < viewport.min.y {
                y += self.heights[row] + gap;
                row += 1;
            }
            while row < count && y <= viewport.max.y {
                let rect = Rect::from_min_size(origin + vec2(0.0, y), vec2(width, f32::INFINITY));
                let mut child = ui.new_child(UiBuilder::new().max_rect(rect).layout(Layout::top_down(Align::Min)));
                row_ui(&mut child, row);
                self.heights[row] = child.min_rect().height();
                y += self.heights[row] + gap;
                row += 1;
            }
            let total: f32 = self.heights.iter().map(|h| h + gap).sum();
            ui.allocate_rect(Rect::from_min_size(origin, vec2(width, total.max(0.0))), Sense::hover());
        });
    }
}
