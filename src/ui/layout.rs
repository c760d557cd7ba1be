//! The layout as stored: the main window's dock and each native window's dock, with where the
//! windows were. The engine keeps it as opaque JSON; this module owns its format, turns docks into
//! it and back, and mends what it cannot trust (unknown or repeated tabs, empty panes, odd sizes),
//! so a stored layout never panics the app and never loses a tab.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use egui::{Pos2, Rect, Vec2};
use egui_dock::{DockState, Node, NodeIndex, Split, Tree};
use serde::{Deserialize, Deserializer, Serialize};

use super::tabs::Tab;

#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("the saved layout could not be read ({0}); the default layout is shown")]
    Unreadable(#[from] serde_json::Error),
}

/// The whole desktop: the main window, the native windows, and the tabs the user closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    pub main: WindowLayout,
    #[serde(default)]
    pub windows: Vec<WindowLayout>,
    /// Closed tabs stay closed when the layout is restored; a tab the layout does not name at all
    /// (say, one newer than the layout) is added to the main window.
    #[serde(default, deserialize_with = "known_tabs")]
    pub closed: Vec<Tab>,
}

/// One window's dock and, when the system reports it, where the window is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowLayout {
    pub pane: Pane,
    #[serde(default)]
    pub geometry: Option<Geometry>,
}

/// A window's outer top-left corner and inner size, in points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    pub position: [f32; 2],
    pub size: [f32; 2],
}

/// A dock as a tree: tabs stacked in one place, or two panes side by side or one above the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pane {
    Tabs {
        #[serde(default, deserialize_with = "known_tabs")]
        tabs: Vec<Tab>,
        /// The index of the tab in front.
        #[serde(default)]
        active: usize,
    },
    Split {
        axis: Axis,
        /// The share of the space `first` takes.
        fraction: f32,
        first: Box<Pane>,
        second: Box<Pane>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// `first` left of `second`.
    SideBySide,
    /// `first` above `second`.
    Stacked,
}

/// Reads a list of tabs, skipping names this version does not know.
fn known_tabs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Tab>, D::Error> {
    let names = Vec::<serde_json::Value>::deserialize(deserializer)?;
    Ok(names.into_iter().filter_map(|name| serde_json::from_value(name).ok()).collect())
}

/// The smallest and largest share a pane may take when restored.
const FRACTION_RANGE: (f32, f32) = (0.05, 0.95);
/// The smallest window restored, so a window is never too small to find and grab.
const MIN_WINDOW: Vec2 = Vec2::new(240.0, 160.0);

impl Layout {
    pub fn from_value(value: serde_json::Value) -> Result<Layout, LayoutError> {
        Ok(serde_json::from_value(value)?)
    }
}

impl Geometry {
    /// The geometry of a window from its outer and inner rectangles, when the system reports them.
    pub fn of(outer: Option<Rect>, inner: Option<Rect>) -> Option<Geometry> {
        let (outer, inner) = (outer?, inner?);
        Some(Geometry {
            position: [outer.min.x.round(), outer.min.y.round()],
            size: [inner.width().round(), inner.height().round()],
        })
    }

    pub fn position(&self) -> Pos2 {
        Pos2::new(self.position[0], self.position[1])
    }

    pub fn size(&self) -> Vec2 {
        Vec2::new(self.size[0], self.size[1]).max(MIN_WINDOW)
    }

    /// `None` for numbers no window can have.
    fn checked(self) -> Option<Geometry> {
        let numbers = self.position.iter().chain(&self.size);
        numbers.clone().all(|n| n.is_finite() && n.abs() < 100_000.0).then_some(self)
    }
}

impl Pane {
    /// The pane of a dock's main surface.
    pub fn of(dock: &DockState<Tab>) -> Pane {
        let nodes: Vec<&Node<Tab>> = dock.main_surface().iter().collect();
        pane_at(&nodes, NodeIndex::root())
    }

    /// Every tab, in order: left to right, top to bottom.
    pub fn tabs(&self) -> Vec<Tab> {
        match self {
            Pane::Tabs { tabs, .. } => tabs.clone(),
            Pane::Split { first, second, .. } => {
                let mut tabs = first.tabs();
                tabs.extend(second.tabs());
                tabs
            }
        }
    }

    /// The pane without tabs already `seen` elsewhere, without empty parts, and with shares in
    /// range; `None` if nothing is left.
    fn mended(self, seen: &mut HashSet<Tab>) -> Option<Pane> {
        match self {
            Pane::Tabs { tabs, active } => {
                let front = tabs.get(active).cloned();
                let tabs: Vec<Tab> = tabs.into_iter().filter(|tab| seen.insert(tab.clone())).collect();
                let active = front.and_then(|f| tabs.iter().position(|t| *t == f)).unwrap_or(0);
                (!tabs.is_empty()).then_some(Pane::Tabs { tabs, active })
            }
            Pane::Split { axis, fraction, first, second } => match (first.mended(seen), second.mended(seen)) {
                (Some(first), Some(second)) => {
                    let fraction =
                        if fraction.is_finite() { fraction.clamp(FRACTION_RANGE.0, FRACTION_RANGE.1) } else { 0.5 };
                    Some(Pane::Split { axis, fraction, first: Box::new(first), second: Box::new(second) })
                }
                (one, other) => one.or(other),
            },
        }
    }

    /// The tabs of the first (top-left) place.
    fn first_tabs(&self) -> &[Tab] {
        match self {
            Pane::Tabs { tabs, .. } => tabs,
            Pane::Split { first, .. } => first.first_tabs(),
        }
    }

    /// A dock of this (mended) pane.
    fn into_dock(self) -> DockState<Tab> {
        let mut tree = Tree::new(self.first_tabs().to_vec());
        grow(&mut tree, NodeIndex::root(), &self);
        let mut dock = DockState::new(Vec::new());
        *dock.main_surface_mut() = tree;
        dock
    }
}

fn pane_at(nodes: &[&Node<Tab>], index: NodeIndex) -> Pane {
    let split = |axis, fraction| Pane::Split {
        axis,
        fraction,
        first: Box::new(pane_at(nodes, index.left())),
        second: Box::new(pane_at(nodes, index.right())),
    };
    match nodes.get(index.0) {
        Some(Node::Leaf(leaf)) => Pane::Tabs { tabs: leaf.tabs.clone(), active: leaf.active.0 },
        Some(Node::Horizontal(node)) => split(Axis::SideBySide, node.fraction),
        Some(Node::Vertical(node)) => split(Axis::Stacked, node.fraction),
        Some(Node::Empty) | None => Pane::Tabs { tabs: Vec::new(), active: 0 },
    }
}

/// Builds `pane` at `index`, a leaf that already holds the pane's first tabs. Every place of a
/// mended pane has tabs and every share is in range, which is what splitting asks for.
fn grow(tree: &mut Tree<Tab>, index: NodeIndex, pane: &Pane) {
    match pane {
        Pane::Tabs { active, .. } => {
            let _ = tree.set_active_tab(index, *active);
        }
        Pane::Split { axis, fraction, first, second } => {
            let split = match axis {
                Axis::SideBySide => Split::Right,
                Axis::Stacked => Split::Below,
            };
            let [old, new] = tree.split(index, split, *fraction, Node::leaf_with(second.first_tabs().to_vec()));
            grow(tree, old, first);
            grow(tree, new, second);
        }
    }
}

/// A stored layout made safe to show.
pub struct Restored {
    pub main: DockState<Tab>,
    pub main_geometry: Option<Geometry>,
    pub windows: Vec<(DockState<Tab>, Option<Geometry>)>,
}

impl From<Layout> for Restored {
    /// Each tab is placed once (the first place that names it wins); windows left empty are
    /// dropped; tabs neither placed nor closed go to the main window.
    fn from(layout: Layout) -> Restored {
        let mut seen = HashSet::new();
        let main_pane = layout.main.pane.mended(&mut seen);
        let windows: Vec<_> = layout
            .windows
            .into_iter()
            .filter_map(|w| {
                let pane = w.pane.mended(&mut seen)?;
                Some((pane.into_dock(), w.geometry.and_then(Geometry::checked)))
            })
            .collect();
        let mut main = match main_pane {
            Some(pane) => pane.into_dock(),
            None => DockState::new(Vec::new()),
        };
        for tab in Tab::ALL {
            if !seen.contains(&tab) && !layout.closed.contains(&tab) {
                main.push_to_first_leaf(tab);
            }
        }
        Restored { main, main_geometry: layout.main.geometry.and_then(Geometry::checked), windows }
    }
}

/// How long a changed layout waits before it is saved: changes in a burst (a drag, a resize) are
/// saved together, and a crash loses at most this much.
pub const SAVE_DELAY: Duration = Duration::from_millis(400);

/// Decides when the layout is saved: after it changed, at most every [`SAVE_DELAY`].
#[derive(Debug, Default)]
pub struct LayoutSaver {
    /// What the store holds; `None` until the stored layout has been restored (saving before that
    /// would overwrite it with the default).
    saved: Option<Layout>,
    changed_at: Option<Instant>,
}

/// What to do with the layout this frame.
#[derive(Debug, PartialEq)]
pub enum Saving {
    /// Nothing changed, or saving has not started.
    Idle,
    /// It changed; look again after this long.
    Wait(Duration),
    Now(Layout),
}

impl LayoutSaver {
    /// Starts saving changes made after `restored`.
    pub fn start(&mut self, restored: Layout) {
        self.saved = Some(restored);
        self.changed_at = None;
    }

    pub fn is_started(&self) -> bool {
        self.saved.is_some()
    }

    pub fn is_saved(&self, current: &Layout) -> bool {
        self.saved.as_ref() == Some(current)
    }

    pub fn poll(&mut self, current: &Layout, now: Instant) -> Saving {
        match &self.saved {
            None => return Saving::Idle,
            Some(saved) if saved == current => {
                self.changed_at = None;
                return Saving::Idle;
            }
            Some(_) => {}
        }
        let waited = now.saturating_duration_since(*self.changed_at.get_or_insert(now));
        if waited >= SAVE_DELAY {
            self.saved = Some(current.clone());
            self.changed_at = None;
            Saving::Now(current.clone())
        } else {
            Saving::Wait(SAVE_DELAY - waited)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::default_layout;

    fn tabs(tabs: &[Tab]) -> Pane {
        Pane::Tabs { tabs: tabs.to_vec(), active: 0 }
    }

    fn window(pane: Pane) -> WindowLayout {
        WindowLayout { pane, geometry: None }
    }

    fn placed(restored: &Restored) -> Vec<Tab> {
        let mut all: Vec<Tab> = restored.main.iter_all_tabs().map(|(_, t)| t.clone()).collect();
        for (dock, _) in &restored.windows {
            all.extend(dock.iter_all_tabs().map(|(_, t)| t.clone()));
        }
        all
    }

    #[test]
    fn the_default_layout_round_trips_through_json() {
        let pane = Pane::of(&default_layout());
        let layout = Layout {
            main: WindowLayout {
                pane: pane.clone(),
                geometry: Some(Geometry { position: [10.0, 20.0], size: [800.0, 600.0] }),
            },
            windows: vec![WindowLayout { pane: tabs(&[Tab::Usage, Tab::Drone("docs".into())]), geometry: None }],
            closed: vec![Tab::Settings],
        };
        let value = serde_json::to_value(&layout).unwrap();
        assert_eq!(value["windows"][0]["pane"]["tabs"], serde_json::json!(["Usage", {"Drone": "docs"}]));
        let back = Layout::from_value(value).unwrap();
        assert_eq!(back, layout);
        // And through a dock: the same places, shares and tabs in front.
        let restored = Restored::from(Layout { windows: vec![], closed: vec![], ..layout });
        assert_eq!(Pane::of(&restored.main), pane);
        assert_eq!(restored.main_geometry, Some(Geometry { position: [10.0, 20.0], size: [800.0, 600.0] }));
    }

    #[test]
    fn tabs_the_layout_does_not_name_are_added_to_the_main_window() {
        let layout = Layout {
            main: window(tabs(&[Tab::Chat])),
            windows: vec![window(tabs(&[Tab::Review]))],
            closed: vec![Tab::Usage],
        };
        let restored = Restored::from(layout);
        let main: Vec<Tab> = restored.main.iter_all_tabs().map(|(_, t)| t.clone()).collect();
        let expected = [
            Tab::Chat,
            Tab::Specs,
            Tab::Tasks,
            Tab::Drones,
            Tab::Memory,
            Tab::Settings,
            Tab::Companion,
            Tab::Files,
            Tab::Git,
            Tab::Search,
        ];
        assert_eq!(main, expected);
        assert_eq!(restored.windows.len(), 1);
        assert!(!placed(&restored).contains(&Tab::Usage), "a closed tab stays closed");
    }

    #[test]
    fn repeated_unknown_and_empty_places_are_mended() {
        let value = serde_json::json!({
            "main": {"pane": {
                "kind": "split", "axis": "side_by_side", "fraction": 7.5,
                "first": {"kind": "tabs", "tabs": ["Chat", "Hologram", "Chat"], "active": 9},
                "second": {"kind": "split", "axis": "stacked", "fraction": 0.3,
                    "first": {"kind": "tabs", "tabs": []},
                    "second": {"kind": "tabs", "tabs": ["Specs"]}}
            }},
            "windows": [
                {"pane": {"kind": "tabs", "tabs": ["Specs"]}},
                {"pane": {"kind": "tabs", "tabs": ["Memory"]}, "geometry": {"position": [1e30, 0], "size": [600, 400]}},
                {"pane": {"kind": "tabs", "tabs": ["Usage"]}, "geometry": {"position": [50, 60], "size": [10, 10]}}
            ]
        });
        let restored = Restored::from(Layout::from_value(value).unwrap());
        let mut all = placed(&restored);
        all.sort_by_key(|t| Tab::ALL.iter().position(|a| a == t));
        assert_eq!(all, Tab::ALL, "every tab once");
        let Pane::Split { fraction, first, second, .. } = Pane::of(&restored.main) else { panic!("not split") };
        assert_eq!(fraction, 0.95);
        // Chat once, then the tabs no place named, added to the first place.
        let expected = [
            Tab::Chat,
            Tab::Tasks,
            Tab::Review,
            Tab::Drones,
            Tab::Settings,
            Tab::Companion,
            Tab::Files,
            Tab::Git,
            Tab::Search,
        ];
        assert_eq!(first.tabs(), expected);
        assert_eq!(second.tabs()[0], Tab::Specs, "the empty place is gone");
        assert_eq!(restored.windows.len(), 2, "the window whose tab was placed already is dropped");
        assert_eq!(restored.windows[0].1, None, "a position no screen has is forgotten");
        assert_eq!(restored.windows[1].1.unwrap().size(), MIN_WINDOW, "a tiny window is opened large enough");
    }

    #[test]
    fn junk_is_an_error_not_a_panic() {
        for junk in [serde_json::json!(null), serde_json::json!("junk"), serde_json::json!({"main": 42})] {
            let err = Layout::from_value(junk).unwrap_err();
            assert!(err.to_string().contains("the default layout is shown"));
        }
        // Nothing placed at all: every tab goes to the main window.
        let restored = Restored::from(Layout { main: window(tabs(&[])), windows: vec![], closed: vec![] });
        assert_eq!(placed(&restored), Tab::ALL);
    }

    #[test]
    fn a_change_is_saved_once_it_has_waited() {
        let mut saver = LayoutSaver::default();
        let first = Layout { main: window(tabs(&Tab::ALL)), windows: vec![], closed: vec![] };
        let t0 = Instant::now();
        assert_eq!(saver.poll(&first, t0), Saving::Idle, "nothing is saved before the restore");
        saver.start(first.clone());
        assert_eq!(saver.poll(&first, t0), Saving::Idle);
        let changed = Layout { closed: vec![Tab::Usage], ..first.clone() };
        assert_eq!(saver.poll(&changed, t0), Saving::Wait(SAVE_DELAY));
        assert_eq!(saver.poll(&changed, t0 + Duration::from_millis(100)), Saving::Wait(Duration::from_millis(300)));
        assert!(!saver.is_saved(&changed));
        assert_eq!(saver.poll(&changed, t0 + SAVE_DELAY), Saving::Now(changed.clone()));
        assert!(saver.is_saved(&changed));
        assert_eq!(saver.poll(&changed, t0 + SAVE_DELAY * 2), Saving::Idle);
    }
}
