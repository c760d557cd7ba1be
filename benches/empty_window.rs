//! The baseline of the desktop benchmark: an empty eframe window with the same renderer, size and
//! build profile as Aura's. With `AURA_FIRST_FRAME` set it prints `first frame` when its first frame
//! is drawn, like Aura does.

struct Empty {
    drawn: bool,
}

impl eframe::App for Empty {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        ui.label("");
        if !self.drawn {
            self.drawn = true;
            aura::ui::report_first_frame();
        }
    }
}

fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_title("Empty").with_inner_size([1280.0, 800.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native("Empty", options, Box::new(|_| Ok(Box::new(Empty { drawn: false }))))
}
