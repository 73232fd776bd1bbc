//! Case lifecycle: placeholder.
