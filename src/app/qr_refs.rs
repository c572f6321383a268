//! QR references on the views of coded records (lots, batches and their units, listings).

use super::views::QrRef;
use super::*;

/// Views that carry a QR reference.
pub trait HasQr {
    fn set_qr(&mut self, app: &App);
}

macro_rules! has_qr {
    ($($t:ty),*) => {$(
        impl HasQr for $t {
            fn set_qr(&mut self, app: &App) {
                self.qr = app.qr_for(&self.id);
            }
        }
    )*};
}

has_qr!(
    super::views::LotView,
    super::views::ListingView,
    super::views::UnitView
);

impl HasQr for super::views::BatchView {
    fn set_qr(&mut self, app: &App) {
        self.qr = app.qr_for(&self.id);
        for u in &mut self.units {
            u.qr = app.qr_for(&u.id);
        }
    }
}

impl App {
    pub(crate) fn qr_for(&self, public_id: &str) -> Option<QrRef> {
        let (_, id) = self.ids.parse(public_id)?;
        self.qr_ref(id)
    }

    /// Adds QR references to a view.
    pub(crate) fn with_qr_ref<V: HasQr>(&self, mut v: V) -> V {
        v.set_qr(self);
        v
    }
}
