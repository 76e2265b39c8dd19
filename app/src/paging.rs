//! Pages of a newest-first list.
//!
//! - [`Cursor`]: a page by position ("the posts older than this one"), for lists that grow:
//!   a page costs the same at any depth (an index range, never an OFFSET that reads and drops
//!   every row before it), and posts published meanwhile never shift what the next page holds.
//! - [`Paging`]: numbered pages, for short lists looked through by number (the admin's
//!   accounts): which rows to ask the store for, and whether a further page exists (one row
//!   more than a page is asked for, to find out).

use serde::{Deserialize, Serialize};

/// Where a page of a newest-first list starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Cursor {
    /// The newest rows.
    Newest,
    /// The newest rows older than the row with this id.
    Before(i64),
    /// The oldest rows newer than the row with this id (shown newest first, like every page).
    After(i64),
}

impl Cursor {
    /// From a page's query parameters: `before=ID`, else `after=ID`; anything unreadable is
    /// the newest page rather than an error (a hand-edited address still shows the list).
    pub fn from_query(before: Option<&str>, after: Option<&str>) -> Self {
        let id = |raw: Option<&str>| raw.and_then(|id| id.trim().parse::<i64>().ok());
        Self::of(id(before), id(after))
    }

    /// From the ids an action is called with: `before` wins over `after`.
    pub fn of(before: Option<i64>, after: Option<i64>) -> Self {
        match (before, after) {
            (Some(id), _) => Self::Before(id),
            (None, Some(id)) => Self::After(id),
            (None, None) => Self::Newest,
        }
    }

    /// The ids an action is called with (the inverse of [`of`](Self::of)).
    pub fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Newest => (None, None),
            Self::Before(id) => (Some(id), None),
            Self::After(id) => (None, Some(id)),
        }
    }

    /// This page's address under the list's `path`.
    pub fn href(self, path: &str) -> String {
        match self {
            Self::Newest => path.to_owned(),
            Self::Before(id) => format!("{path}?before={id}"),
            Self::After(id) => format!("{path}?after={id}"),
        }
    }

    /// A name for this page among the list's pages (a cache key's end).
    pub fn key(self) -> String {
        match self {
            Self::Newest => "newest".to_owned(),
            Self::Before(id) => format!("before:{id}"),
            Self::After(id) => format!("after:{id}"),
        }
    }
}

/// One page of a list, `size` rows a page, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub size: u32,
}

/// A page number from a query string: anything unreadable or out of range is page 1.
pub fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1)
}

impl Paging {
    /// Page `page` (0 counts as 1).
    pub fn new(page: u32, size: u32) -> Self {
        Self {
            page: page.max(1),
            size,
        }
    }

    /// The rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.size)
    }

    /// The rows to ask for: a page, and one to tell whether another page follows.
    pub fn fetch(&self) -> u32 {
        self.size + 1
    }

    /// The page out of what [`fetch`](Self::fetch) returned, and whether another follows.
    pub fn split<T>(&self, mut rows: Vec<T>) -> (Vec<T>, bool) {
        let more = rows.len() > self.size as usize;
        rows.truncate(self.size as usize);
        (rows, more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_from_the_address_and_goes_back_to_it() {
        assert_eq!(Cursor::from_query(None, None), Cursor::Newest);
        assert_eq!(Cursor::from_query(Some("41"), None), Cursor::Before(41));
        assert_eq!(Cursor::from_query(None, Some(" 7 ")), Cursor::After(7));
        assert_eq!(
            Cursor::from_query(Some("41"), Some("7")),
            Cursor::Before(41)
        );
        for junk in ["", "x", "1e3", "99999999999999999999"] {
            assert_eq!(
                Cursor::from_query(Some(junk), None),
                Cursor::Newest,
                "{junk}"
            );
        }
        for cursor in [Cursor::Newest, Cursor::Before(-3), Cursor::After(12)] {
            let (before, after) = cursor.ids();
            assert_eq!(Cursor::of(before, after), cursor);
        }
        assert_eq!(Cursor::Before(41).href("/posts"), "/posts?before=41");
        assert_eq!(Cursor::After(7).href("/posts"), "/posts?after=7");
        assert_eq!(Cursor::Newest.href("/posts"), "/posts");
    }

    #[test]
    fn page_numbers_fall_back_to_the_first_page() {
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some("3")), 3);
        for bad in ["0", "-1", "abc", "99999999999", ""] {
            assert_eq!(page_number(Some(bad)), 1, "{bad}");
        }
    }

    #[test]
    fn a_page_asks_for_one_row_more_to_see_the_next() {
        let second = Paging::new(2, 20);
        assert_eq!((second.offset(), second.fetch()), (20, 21));
        assert_eq!(Paging::new(0, 20).offset(), 0, "page 0 is page 1");
        assert_eq!(second.split((0..21).collect()), ((0..20).collect(), true));
        assert_eq!(second.split(vec![1, 2]), (vec![1, 2], false));
    }
}
