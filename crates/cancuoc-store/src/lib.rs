//! cancuoc-store
