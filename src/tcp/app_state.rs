//! The application's per-connection state, as TCP sees it: two opaque
//! bytes kept in the record.

/// What the application keeps per connection, inside the record. TCP
/// stores and copies it (into each `Reply`, so that the application can
/// find the bytes a segment carries) and never interprets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct AppState(pub u16);
