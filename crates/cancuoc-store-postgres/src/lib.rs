//! cancuoc-store-postgres
