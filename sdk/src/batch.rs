//! The packed row layout that crosses the plugin boundary, and safe views into it.
//!
//! One `String` holds every cell; `ends` holds each cell's end offset. Readers never panic:
//! an out-of-range cell reads as `""`, and [`Batch::from_parts`] checks the layout of data
//! that came from the other side of the boundary before anyone indexes it.

use std::fmt;

/// Many strings packed into one allocation (the WIT `packed` record).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Packed {
    text: String,
    ends: Vec<u32>,
}

/// Why a packed layout received from the other side is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError(pub String);

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LayoutError {}

impl Packed {
    /// An empty list with room for `strings` strings of `bytes` bytes in all.
    #[must_use]
    pub fn with_capacity(strings: usize, bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
        }
    }

    /// Checks that `ends` is non-decreasing, within `text` and on character boundaries.
    pub fn from_parts(text: String, ends: Vec<u32>) -> Result<Self, LayoutError> {
        let mut start = 0usize;
        for (i, &end) in ends.iter().enumerate() {
            let end = end as usize;
            if end < start || end > text.len() || !text.is_char_boundary(end) {
                return Err(LayoutError(format!(
                    "string {i} ends at byte {end}, outside the packed text or mid-character"
                )));
            }
            start = end;
        }
        Ok(Self { text, ends })
    }

    /// The text and end offsets, for sending across the boundary.
    #[must_use]
    pub fn into_parts(self) -> (String, Vec<u32>) {
        (self.text, self.ends)
    }

    /// Number of strings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no strings.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `i`, or `""` when there is none.
    #[must_use]
    pub fn get(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = match i.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0),
            None => 0,
        };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// Appends one string.
    ///
    /// Offsets are `u32`: a packed list is one batch of rows, never near 4 GiB; should it
    /// get there the offset saturates and the layout check on the other side rejects it.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// Iterates over the strings.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Bytes of text held.
    #[must_use]
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

/// Rows packed row-major, each with its original row number (the WIT `batch` record).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    rows: Vec<u32>,
    width: usize,
    cells: Packed,
}

impl Batch {
    /// An empty batch of rows with `width` columns.
    #[must_use]
    pub fn new(width: usize) -> Self {
        Self {
            rows: Vec::new(),
            width,
            cells: Packed::default(),
        }
    }

    /// An empty batch with room for `rows` rows of about `bytes` bytes in all.
    #[must_use]
    pub fn with_capacity(width: usize, rows: usize, bytes: usize) -> Self {
        Self {
            rows: Vec::with_capacity(rows),
            width,
            cells: Packed::with_capacity(rows * width, bytes),
        }
    }

    /// Checks that the parts describe `rows.len() * width` cells.
    pub fn from_parts(rows: Vec<u32>, width: usize, cells: Packed) -> Result<Self, LayoutError> {
        let expected = rows.len().checked_mul(width);
        if expected != Some(cells.len()) {
            return Err(LayoutError(format!(
                "{} rows of {width} columns need {} cells, got {}",
                rows.len(),
                rows.len().saturating_mul(width),
                cells.len()
            )));
        }
        Ok(Self { rows, width, cells })
    }

    /// Row numbers, width and cells, for sending across the boundary.
    #[must_use]
    pub fn into_parts(self) -> (Vec<u32>, usize, Packed) {
        (self.rows, self.width, self.cells)
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the batch has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Number of columns.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// The original row numbers, one per row.
    #[must_use]
    pub fn row_numbers(&self) -> &[u32] {
        &self.rows
    }

    /// Cell `column` of row `row`, or `""` when out of range.
    #[must_use]
    pub fn cell(&self, row: usize, column: usize) -> &str {
        if column >= self.width {
            return "";
        }
        self.cells.get(row * self.width + column)
    }

    /// A view of row `index`.
    #[must_use]
    pub fn row(&self, index: usize) -> Row<'_> {
        Row { batch: self, index }
    }

    /// Iterates over the rows.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.len()).map(|index| self.row(index))
    }

    /// Appends a row; missing cells are empty and extra cells are dropped so the batch
    /// always stays rectangular.
    pub fn push_row<I, S>(&mut self, number: u32, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut pushed = 0;
        for cell in cells.into_iter().take(self.width) {
            self.cells.push(cell.as_ref());
            pushed += 1;
        }
        for _ in pushed..self.width {
            self.cells.push("");
        }
        self.rows.push(number);
    }

    /// Bytes of cell text held.
    #[must_use]
    pub fn text_len(&self) -> usize {
        self.cells.text_len()
    }

    /// The batch holding only `columns` (by index, in that order) of each row: what a stage
    /// that declared these columns receives.
    #[must_use]
    pub fn project(&self, columns: &[u32]) -> Batch {
        let mut out = Batch::with_capacity(columns.len(), self.len(), self.text_len());
        for row in self.iter() {
            out.push_row(row.number(), columns.iter().map(|&c| row.get(c as usize)));
        }
        out
    }
}

/// One row of a [`Batch`].
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    batch: &'a Batch,
    index: usize,
}

impl<'a> Row<'a> {
    /// Cell `column`, or `""` when out of range.
    #[must_use]
    pub fn get(&self, column: usize) -> &'a str {
        self.batch.cell(self.index, column)
    }

    /// The index of this row in its batch.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The original row number in the input file.
    #[must_use]
    pub fn number(&self) -> u32 {
        self.batch.rows.get(self.index).copied().unwrap_or(0)
    }

    /// Iterates over the cells.
    pub fn cells(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let batch = self.batch;
        let index = self.index;
        (0..batch.width).map(move |c| batch.cell(index, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_parts() {
        let mut b = Batch::new(2);
        b.push_row(2, ["José", ""]);
        b.push_row(3, ["a"]);
        b.push_row(4, ["x", "y", "dropped"]);
        let (rows, width, cells) = b.clone().into_parts();
        let (text, ends) = cells.into_parts();
        let back = Batch::from_parts(rows, width, Packed::from_parts(text, ends).unwrap()).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.cell(0, 0), "José");
        assert_eq!(back.cell(1, 1), "");
        assert_eq!(back.row(2).cells().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(back.row(2).number(), 4);
        assert_eq!(back.cell(9, 0), "");
        assert_eq!(back.cell(0, 9), "");
    }

    #[test]
    fn bad_layouts_are_errors_not_panics() {
        assert!(Packed::from_parts("ab".into(), vec![1, 0]).is_err());
        assert!(Packed::from_parts("ab".into(), vec![3]).is_err());
        assert!(Packed::from_parts("é".into(), vec![1]).is_err());
        let cells = Packed::from_parts("ab".into(), vec![1, 2]).unwrap();
        assert!(Batch::from_parts(vec![1], 3, cells).is_err());
    }
}
