//! The catalog pages a refresh assembles from parts: `index.html`, a row per profile, and
//! `frontier.html`, a section per workload. Each page is rendered around a marker line its
//! template holds; its parts, rendered apart (`index-rows.html.j2`, `frontier-group.html.j2`)
//! or copied from the published page where they were made from the same inputs and read back
//! whole, are written there a batch at a time, and where each lies is kept for the next
//! refresh (a profile's row with its record, a section by its group's fingerprint).

use super::*;

/// The index page, and the line of its template where the rows go.
const INDEX_PAGE: &str = "index.html";
const INDEX_ROWS: &str = "<!--index-rows-->\n";

/// How every row of the index's table starts (`index-rows.html.j2`) and ends; no escaped
/// value contains either.
const INDEX_ROW_START: &str = "<tr data-id=\"";
const INDEX_ROW_END: &[u8] = b"</tr>\n";

/// How many rows of the index one core makes before the next block may be taken, and how many
/// blocks are made before they are written.
const INDEX_ROWS_PER_BLOCK: usize = 256;
const INDEX_BLOCKS_PER_BATCH: usize = 8;

/// The frontier page, and the line of its template where the sections go.
const FRONTIER_PAGE: &str = "frontier.html";
const FRONTIER_SECTIONS: &str = "<!--frontier-sections-->\n";

/// How each workload's section starts (`frontier-group.html.j2`, before its anchor) and ends.
const SECTION_START: &str = "<section class=\"workload\" id=\"";
const SECTION_END: &[u8] = b"</section>\n";

/// How many workload sections of the frontier page are made before they are written.
const FRONTIER_SECTIONS_PER_BATCH: usize = 16;

/// Writes the page at `rel` in the site: `text`, the page rendered with `marker` where its parts
/// go, with the parts in their place, made by `make` a batch of `items` at a time (one part an
/// item, in order) and dropped once written. Hands back where each part lies.
fn write_around<T: Sync>(
    w: &SiteWriter,
    rel: &str,
    text: &str,
    marker: &str,
    items: &[T],
    batch: usize,
    make: impl Fn(&[T]) -> Result<Vec<Vec<u8>>, SiteError>,
) -> Result<Vec<Span>, SiteError> {
    let (head, tail) = text.split_once(marker).ok_or_else(|| {
        SiteError::Data(format!("{rel}: its template has no place for its parts"))
    })?;
    let mut spans = Vec::with_capacity(items.len());
    w.stream(rel, |out| {
        use std::io::Write;
        out.write_all(head.as_bytes()).map_err(SiteError::Write)?;
        let mut at = head.len() as u64;
        for items in items.chunks(batch.max(1)) {
            let parts = make(items)?;
            if parts.len() != items.len() {
                return Err(SiteError::Data(format!(
                    "{rel}: {} parts made for {} items",
                    parts.len(),
                    items.len()
                )));
            }
            for part in parts {
                out.write_all(&part).map_err(SiteError::Write)?;
                spans.push(Span(at, part.len() as u64));
                at += part.len() as u64;
            }
        }
        out.write_all(tail.as_bytes()).map_err(SiteError::Write)
    })?;
    Ok(spans)
}

/// `index.html`: every profile's row, grouped by workload as the page says (numbers compare
/// only within one), in profile order within each. A reused profile's row is copied from the
/// published page where it reads back whole; the others are rendered, a block at a time on
/// every core. Hands back where each page's row lies (in page order), for the next refresh.
pub(super) fn render_index_page(
    r: &Render,
    pages: &[ProfilePage],
    views: &[LazyView],
    model_count: usize,
) -> Result<Vec<Span>, SiteError> {
    let input = r.input;
    let mut order: Vec<usize> = (0..views.len()).collect();
    order.sort_by(|&a, &b| views[a].workload().cmp(views[b].workload()));
    let previous = PreviousEntries::open(input.previous, INDEX_PAGE);
    let text = r
        .env
        .get_template("site/index.html.j2")?
        .render(r.page_context(
            INDEX_PAGE,
            minijinja::context! {
                profile_count => views.len(),
                model_count => model_count,
                synthetic_count => input.summaries.iter().filter(|s| s.profile.synthetic).count(),
                plan => templates::val(planner_choices(None, input.summaries.iter())),
            },
        ))?;
    let written = write_around(
        &r.w,
        INDEX_PAGE,
        &text,
        INDEX_ROWS,
        &order,
        INDEX_ROWS_PER_BLOCK * INDEX_BLOCKS_PER_BATCH,
        |batch| {
            let blocks: Vec<Vec<Vec<u8>>> = batch
                .par_chunks(INDEX_ROWS_PER_BLOCK)
                .map(|block| index_rows(r, pages, views, block, previous.as_ref()))
                .collect::<Result<_, SiteError>>()?;
            Ok(blocks.into_iter().flatten().collect())
        },
    )?;
    let mut spans = vec![Span(0, 0); pages.len()];
    for (i, span) in order.into_iter().zip(written) {
        spans[i] = span;
    }
    Ok(spans)
}

/// The index rows of the pages at `block` (indices into `pages`), in order: each reused page's
/// copied from the published index where its record places it and it reads back whole, the
/// others rendered together (a row reads the same rendered alone or among others: the
/// template's loop shows no position).
fn index_rows(
    r: &Render,
    pages: &[ProfilePage],
    views: &[LazyView],
    block: &[usize],
    previous: Option<&PreviousEntries>,
) -> Result<Vec<Vec<u8>>, SiteError> {
    let copied: Vec<Option<Vec<u8>>> = block
        .iter()
        .map(|&i| {
            let page = &pages[i];
            let mut row = Vec::new();
            previous?
                .copy_part(
                    page,
                    |e| e.index_html,
                    &mut row,
                    |row| is_index_row(row, &page.summary.profile.id),
                )
                .then_some(row)
        })
        .collect();
    let to_render: Vec<IndexRow> = block
        .iter()
        .zip(&copied)
        .filter(|(_, row)| row.is_none())
        .map(|(&i, _)| IndexRow::of(&views[i]))
        .collect();
    let mut rendered = if to_render.is_empty() {
        Vec::new()
    } else {
        let text = r
            .env
            .get_template("site/index-rows.html.j2")?
            .render(minijinja::context! { profiles => templates::val(&to_render) })?;
        split_rows(text.as_bytes(), to_render.len())?
    }
    .into_iter();
    copied
        .into_iter()
        .map(|row| {
            row.or_else(|| rendered.next())
                .ok_or_else(|| SiteError::Data(format!("{INDEX_PAGE}: a row was not rendered")))
        })
        .collect()
}

/// The rows of rendered `text`, which must be `count` rows and nothing else.
fn split_rows(text: &[u8], count: usize) -> Result<Vec<Vec<u8>>, SiteError> {
    let starts: Vec<usize> = memchr::memmem::find_iter(text, INDEX_ROW_START).collect();
    if starts.len() != count || starts.first().is_some_and(|&first| first != 0) {
        return Err(SiteError::Data(format!(
            "{INDEX_PAGE}: {count} rows rendered as {} rows",
            starts.len()
        )));
    }
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    Ok(starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| text[start..end].to_vec())
        .collect())
}

/// Whether `row` is one row of the index's table, profile `id`'s, whole: a record pointing at
/// another profile's row, or across several, is not followed.
fn is_index_row(row: &[u8], id: &str) -> bool {
    one_part(row, &format!("{INDEX_ROW_START}{id}\""), INDEX_ROW_END)
}

/// Whether `section` is one workload section of the frontier page, with this anchor, whole: a
/// record pointing elsewhere in the page, or past a cut, is not followed.
fn is_frontier_section(section: &[u8], anchor: &str) -> bool {
    one_part(section, &format!("{SECTION_START}{anchor}\">"), SECTION_END)
}

/// Whether `part` starts with `open`, ends with `close` and holds no other part's start (the
/// tag `open` begins with).
fn one_part(part: &[u8], open: &str, close: &[u8]) -> bool {
    let tag = open.split(' ').next().unwrap_or(open);
    part.starts_with(open.as_bytes())
        && part.ends_with(close)
        && memchr::memmem::find_iter(part, tag.as_bytes()).count() == 1
}

/// A workload's line in the frontier page's contents.
#[derive(serde::Serialize)]
struct FrontierToc<'a> {
    workload: &'a str,
    anchor: String,
    count: usize,
}

impl<'a> FrontierToc<'a> {
    /// The line of a workload `count` profiles ran. Its anchor (and its charts' ids) is made
    /// from its name alone, so a workload added before it leaves its section as it was.
    fn of(workload: &'a str, count: usize) -> Self {
        Self {
            workload,
            anchor: format!("w-{}", pipeline::profile::hashed_slug(workload)),
            count,
        }
    }
}

/// `frontier.html`: the frontier of every workload more than one profile ran, across models.
/// A workload whose section the published page has, made from the same profiles, is copied
/// from it; the others are drawn. Hands back where each section lies by its group's
/// fingerprint, for the next refresh.
pub(super) fn render_frontier_page<'a>(
    r: &Render,
    pages: &[ProfilePage<'a>],
    views: &[LazyView<'a>],
) -> Result<BTreeMap<String, Span>, SiteError> {
    let mut by_workload: BTreeMap<&str, Vec<(&ProfilePage, &LazyView)>> = BTreeMap::new();
    for (p, v) in pages.iter().zip(views) {
        by_workload.entry(v.workload()).or_default().push((p, v));
    }
    let mut ordered: Vec<_> = by_workload.into_iter().collect();
    ordered.sort_by_cached_key(|(workload, _)| crate::format::natural_key(workload));
    let single: Vec<&str> = ordered
        .iter()
        .filter(|(_, group)| group.len() < 2)
        .map(|(workload, _)| *workload)
        .collect();
    // The contents come first, so which workloads have a frontier is found before any is
    // drawn ([`frontier::has_points`], the test drawing makes); then the sections are made a
    // batch at a time, each on any core (one workload's two charts were a refresh's longest
    // single task).
    type Group<'g, 'a> = (
        FrontierToc<'g>,
        String,
        &'g [(&'g ProfilePage<'a>, &'g LazyView<'a>)],
    );
    let shown: Vec<Group<'_, 'a>> = ordered
        .par_iter()
        .filter(|(_, group)| group.len() >= 2 && frontier::has_points(group))
        .map(|(workload, group)| {
            let toc = FrontierToc::of(workload, group.len());
            let fingerprint = frontier_group_fingerprint(&toc.anchor, workload, group);
            (toc, fingerprint, group.as_slice())
        })
        .collect();
    let toc: Vec<&FrontierToc> = shown.iter().map(|(toc, _, _)| toc).collect();
    let text = r
        .env
        .get_template("site/frontier.html.j2")?
        .render(r.page_context(
        FRONTIER_PAGE,
        minijinja::context! { groups => templates::val(&toc), single => templates::val(&single) },
    ))?;
    let previous = r
        .input
        .previous
        .filter(|p| !p.records.frontier.is_empty())
        .and_then(|p| Some((p, PreviousEntries::open(Some(p), FRONTIER_PAGE)?)));
    let spans = write_around(
        &r.w,
        FRONTIER_PAGE,
        &text,
        FRONTIER_SECTIONS,
        &shown,
        FRONTIER_SECTIONS_PER_BATCH,
        |batch| {
            batch
                .par_iter()
                .map(|(toc, fingerprint, group)| {
                    frontier_section(r, toc, fingerprint, group, previous.as_ref())
                })
                .collect()
        },
    )?;
    Ok(shown
        .into_iter()
        .zip(spans)
        .map(|((_, fingerprint, _), span)| (fingerprint, span))
        .collect())
}

/// A workload's section of the frontier page: copied from the published page where its record
/// there has the same `fingerprint` and it reads back whole, else drawn.
fn frontier_section(
    r: &Render,
    toc: &FrontierToc,
    fingerprint: &str,
    group: &[(&ProfilePage, &LazyView)],
    previous: Option<&(&PreviousSite, PreviousEntries)>,
) -> Result<Vec<u8>, SiteError> {
    if let Some((site, page)) = previous
        && let Some(&span) = site.records.frontier.get(fingerprint)
    {
        let mut html = Vec::new();
        if page.append(span, &mut html, |s| is_frontier_section(s, &toc.anchor)) {
            return Ok(html);
        }
    }
    let placement = frontier::Placement {
        id: &toc.anchor,
        href_root: "",
        colour_by_position: true,
    };
    let frontier = frontier::frontier(r.input, group, &placement).ok_or_else(|| {
        SiteError::Data(format!(
            "{FRONTIER_PAGE}: workload {} has no point to draw",
            toc.workload
        ))
    })?;
    let g = frontier::FrontierGroup {
        workload: toc.workload,
        anchor: toc.anchor.clone(),
        frontier,
    };
    let html = r
        .env
        .get_template("site/frontier-group.html.j2")?
        .render(minijinja::context! { g => templates::val(&g), site => r.site.clone() })?;
    Ok(html.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_is_one_whole_row_or_section_of_its_own() {
        let row = b"<tr data-id=\"a-1\" data-model=\"m\">\n  <td>x</td>\n</tr>\n";
        assert!(is_index_row(row, "a-1"));
        // Another profile's, one whose id only starts with this one, cut, or two rows.
        assert!(!is_index_row(row, "b-2"));
        assert!(!is_index_row(row, "a"));
        assert!(!is_index_row(&row[..row.len() - 1], "a-1"));
        let two = [&row[..], &row[..]].concat();
        assert!(!is_index_row(&two, "a-1"));
        let section = b"<section class=\"workload\" id=\"w-x-1a2b3c\">\n  <h2>x</h2>\n</section>\n";
        assert!(is_frontier_section(section, "w-x-1a2b3c"));
        assert!(!is_frontier_section(section, "w-y-1a2b3c"));
        assert!(!is_frontier_section(&section[1..], "w-x-1a2b3c"));
        let two = [&section[..], &section[..]].concat();
        assert!(!is_frontier_section(&two, "w-x-1a2b3c"));
    }

    #[test]
    fn rendered_rows_split_where_each_starts_and_must_be_as_many_as_asked() {
        let text = b"<tr data-id=\"a\">1</tr>\n<tr data-id=\"b\">2</tr>\n";
        let rows = split_rows(text, 2).unwrap();
        assert_eq!(rows[0], b"<tr data-id=\"a\">1</tr>\n");
        assert_eq!(rows[1], b"<tr data-id=\"b\">2</tr>\n");
        assert!(split_rows(text, 3).is_err());
        // Text before the first row is no row's.
        assert!(split_rows(b"\n<tr data-id=\"a\"></tr>\n", 1).is_err());
        assert!(split_rows(b"", 0).unwrap().is_empty());
    }
}
