//! Pagination and search for lists: which rows a page shows, the "showing 21–40 of 134" line,
//! and numbered page links that keep the list's search and the page's other lists where they
//! were. Rendered by `templates/partials/pagination.html` (a `pager` in scope).

/// One link in the page list: a page number, or a gap ("…") between distant numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
    pub gap: bool,
}

/// Where a list stands: the page shown, how many pages and rows there are, and the links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// 1-based.
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub page_size: usize,
    /// What the list holds, for "of 134 cases" and the navigation's accessible name.
    pub noun: String,
    pub links: Vec<PageLink>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// A pager over `total` rows, `page_size` a page, showing `requested` (clamped to the
    /// pages that exist); `href(n)` is the address of page `n`.
    pub fn new(
        total: usize,
        page_size: usize,
        requested: usize,
        noun: &str,
        href: impl Fn(usize) -> String,
    ) -> Pager {
        let page_size = page_size.max(1);
        let pages = total.div_ceil(page_size).max(1);
        let page = requested.clamp(1, pages);
        let mut links = Vec::new();
        let mut last_shown = 0;
        for n in 1..=pages {
            // First, last, and two either side of the current page.
            let shown = n == 1 || n == pages || n.abs_diff(page) <= 2;
            if !shown {
                continue;
            }
            if n > last_shown + 1 {
                links.push(PageLink {
                    number: 0,
                    href: String::new(),
                    current: false,
                    gap: true,
                });
            }
            links.push(PageLink {
                number: n,
                href: href(n),
                current: n == page,
                gap: false,
            });
            last_shown = n;
        }
        Pager {
            page,
            pages,
            total,
            page_size,
            noun: noun.to_owned(),
            previous: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
            links,
        }
    }

    /// The number of the first row shown (0 when there are none).
    pub fn first_row(&self) -> usize {
        if self.total == 0 {
            0
        } else {
            (self.page - 1) * self.page_size + 1
        }
    }

    /// The number of the last row shown.
    pub fn last_row(&self) -> usize {
        (self.page * self.page_size).min(self.total)
    }

    /// The rows of `items` this page shows.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = ((self.page - 1) * self.page_size).min(items.len());
        let end = (start + self.page_size).min(items.len());
        &items[start..end]
    }

    pub fn is_paged(&self) -> bool {
        self.pages > 1
    }
}

/// Builds `path?name=value&…` from the parameters that are not empty, percent-encoded, with
/// an optional `#fragment`.
pub fn href(path: &str, params: &[(&str, String)], fragment: &str) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect();
    let mut out = path.to_owned();
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Percent-encodes a query component (letters, digits and `-._~` pass unchanged).
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether a row matches a search: every word of `needle` (already lower-case) appears in
/// one of `haystacks`, ignoring case. An empty needle matches everything.
pub fn matches(needle: &str, haystacks: &[&str]) -> bool {
    needle
        .split_whitespace()
        .all(|word| haystacks.iter().any(|h| h.to_lowercase().contains(word)))
}

/// A search box's value as typed, trimmed, and its lower-case form for matching.
pub fn needle(query: Option<&str>) -> (String, String) {
    let typed = query.unwrap_or("").trim().to_owned();
    let lower = typed.to_lowercase();
    (typed, lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(pager: &Pager) -> Vec<String> {
        pager
            .links
            .iter()
            .map(|l| {
                if l.gap {
                    "…".to_owned()
                } else if l.current {
                    format!("[{}]", l.number)
                } else {
                    l.number.to_string()
                }
            })
            .collect()
    }

    #[test]
    fn pages_show_first_last_and_neighbours_with_gaps() {
        let pager = Pager::new(200, 10, 10, "cases", |n| format!("/x?page={n}"));
        assert_eq!(pager.pages, 20);
        assert_eq!(
            numbers(&pager),
            ["1", "…", "8", "9", "[10]", "11", "12", "…", "20"]
        );
        assert_eq!(pager.previous.as_deref(), Some("/x?page=9"));
        assert_eq!(pager.next.as_deref(), Some("/x?page=11"));
        assert_eq!((pager.first_row(), pager.last_row()), (91, 100));
    }

    #[test]
    fn out_of_range_pages_are_clamped_and_empty_lists_have_one_page() {
        let pager = Pager::new(45, 20, 9, "cases", |n| n.to_string());
        assert_eq!(pager.page, 3);
        assert_eq!(numbers(&pager), ["1", "2", "[3]"]);
        assert!(pager.next.is_none());
        let items: Vec<usize> = (0..45).collect();
        assert_eq!(pager.slice(&items), &items[40..45]);
        assert_eq!((pager.first_row(), pager.last_row()), (41, 45));

        let empty = Pager::new(0, 20, 0, "cases", |n| n.to_string());
        assert_eq!((empty.page, empty.pages), (1, 1));
        assert!(!empty.is_paged());
        assert_eq!((empty.first_row(), empty.last_row()), (0, 0));
        assert!(empty.slice::<usize>(&[]).is_empty());
    }

    #[test]
    fn hrefs_keep_only_given_parameters_encoded() {
        assert_eq!(
            href(
                "/supervisor",
                &[("q", "O'Brien ann".into()), ("gaps_page", String::new())],
                "gaps"
            ),
            "/supervisor?q=O%27Brien%20ann#gaps"
        );
        assert_eq!(href("/people", &[], ""), "/people");
    }

    #[test]
    fn search_matches_every_word_in_any_field() {
        assert!(matches("ann smi", &["Ann Smith", "DUR-2026-0001"]));
        assert!(matches("dur-2026", &["Ann Smith", "DUR-2026-0001"]));
        assert!(!matches("ann jones", &["Ann Smith", "DUR-2026-0001"]));
        assert!(matches("", &["anything"]));
    }
}
