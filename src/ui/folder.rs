//! Choosing a project folder: the system's folder dialog behind a trait (so tests can stand in a
//! path), run off the UI thread because the dialog blocks until the user answers.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// A dialog answered faster than this never showed: nobody cancels a dialog that quickly.
const NO_DIALOG: Duration = Duration::from_millis(400);

/// Asks the user for a folder; `None` if they cancel. Runs on a thread of its own.
pub trait FolderPicker: Send + Sync {
    fn pick(&self) -> Option<PathBuf>;
}

/// The system's folder dialog.
pub struct SystemFolderPicker;

impl FolderPicker for SystemFolderPicker {
    fn pick(&self) -> Option<PathBuf> {
        rfd::FileDialog::new().set_title("Open Folder").pick_folder()
    }
}

/// The folder dialog and, while it is open, where its answer will arrive.
pub struct FolderChoice {
    picker: Arc<dyn FolderPicker>,
    waiting: Option<(Receiver<Option<PathBuf>>, Instant)>,
}

/// What came of the dialog.
#[derive(Debug, PartialEq)]
pub enum Chosen {
    Folder(PathBuf),
    Cancelled,
    /// It answered at once without a folder: no dialog could open here (no desktop portal, no
    /// GTK), so the folder must be typed.
    NoDialog,
}

impl FolderChoice {
    pub fn new(picker: Arc<dyn FolderPicker>) -> Self {
        FolderChoice { picker, waiting: None }
    }

    pub fn is_choosing(&self) -> bool {
        self.waiting.is_some()
    }

    /// Opens the dialog on its own thread (once: a second call while it is open does nothing);
    /// the answer wakes the UI.
    pub fn start(&mut self, ctx: &egui::Context) {
        if self.waiting.is_some() {
            return;
        }
        let (answer, waiting) = mpsc::channel();
        let picker = Arc::clone(&self.picker);
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new().name("aura-folder-dialog".into()).spawn(move || {
            // The UI may be gone by the time the user answers; then nobody needs the answer.
            let _ = answer.send(picker.pick());
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => self.waiting = Some((waiting, Instant::now())),
            Err(e) => tracing::error!("the folder dialog could not start: {e}"),
        }
    }

    /// What the dialog answered, once it has. Never blocks.
    pub fn chosen(&mut self) -> Option<Chosen> {
        let (waiting, since) = self.waiting.as_ref()?;
        let answer = match waiting.try_recv() {
            Ok(Some(folder)) => Chosen::Folder(folder),
            Ok(None) if since.elapsed() < NO_DIALOG => Chosen::NoDialog,
            Ok(None) => Chosen::Cancelled,
            Err(TryRecvError::Empty) => return None,
            // The dialog's thread ended without answering (it panicked): the folder must be typed.
            Err(TryRecvError::Disconnected) => Chosen::NoDialog,
        };
        self.waiting = None;
        Some(answer)
    }
}
