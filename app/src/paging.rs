//! Numbered pages of a newest-first list: which rows to ask the store for, and whether a
//! further page exists (one row more than a page is asked for, to find out).

/// One page of a list, `size` rows a page, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub size: u32,
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
    fn a_page_asks_for_one_row_more_to_see_the_next() {
        let second = Paging::new(2, 20);
        assert_eq!((second.offset(), second.fetch()), (20, 21));
        assert_eq!(Paging::new(0, 20).offset(), 0, "page 0 is page 1");
        assert_eq!(second.split((0..21).collect()), ((0..20).collect(), true));
        assert_eq!(second.split(vec![1, 2]), (vec![1, 2], false));
    }
}
