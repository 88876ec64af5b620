using System.Text;
using Hephaestus.Data.Imports;

namespace Hephaestus.Server.Tests.Imports;

/// <summary>The import's RFC 4180 reader, one quoting case per test.</summary>
public class CsvReaderTests
{
    static async Task<List<CsvRecord>> ReadAsync(string text, bool bom = false)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bom) bytes = [0xEF, 0xBB, 0xBF, .. bytes];
        var reader = CsvReader.Utf8(new MemoryStream(bytes));
        var records = new List<CsvRecord>();
        while (await reader.ReadAsync(default) is { } record) records.Add(record);
        return records;
    }

    [Fact]
    public async Task A_quoted_field_keeps_its_commas()
    {
        var records = await ReadAsync("a,\"Smith, Jo\",c\n");
        Assert.Equal(["a", "Smith, Jo", "c"], Assert.Single(records).Fields);
    }

    [Fact]
    public async Task Doubled_quotes_are_one_quote()
    {
        var records = await ReadAsync("\"Bo \"\"Bobby\"\" O'Brien\",\"\"\"\"\n");
        Assert.Equal(["Bo \"Bobby\" O'Brien", "\""], Assert.Single(records).Fields);
    }

    [Fact]
    public async Task Crlf_lf_and_cr_all_end_a_record_and_a_last_line_needs_none()
    {
        var records = await ReadAsync("a,b\r\nc,d\ne,f\rg,h");
        Assert.Equal([["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]], records.Select(r => r.Fields.ToArray()).ToArray());
        Assert.Equal([1, 2, 3, 4], records.Select(r => r.Line));
    }

    [Fact]
    public async Task A_line_break_inside_quotes_is_data_and_later_records_keep_their_file_lines()
    {
        var records = await ReadAsync("id,note\r\n1,\"two\r\nlines\"\r\n2,x\r\n");
        Assert.Equal("two\r\nlines", records[1].Fields[1]);
        Assert.Equal([1, 2, 4], records.Select(r => r.Line));
    }

    [Fact]
    public async Task A_byte_order_mark_is_not_part_of_the_first_header()
    {
        var records = await ReadAsync("sourcedId,title\n", bom: true);
        Assert.Equal("sourcedId", records[0].Fields[0]);
    }

    [Fact]
    public async Task Empty_fields_and_blank_lines()
    {
        var records = await ReadAsync("a,,\"\"\n\n\r\nb\n");
        Assert.Equal(["a", "", ""], records[0].Fields);
        Assert.Equal(["b"], records[1].Fields);
        Assert.Equal(4, records[1].Line);
    }

    [Fact]
    public async Task A_quote_left_open_is_an_error_at_the_line_it_opened()
    {
        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAsync("a\n\"open,\nstill\n"));
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public async Task Text_after_a_closing_quote_is_an_error()
    {
        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAsync("x\n\"a\"b,c\n"));
        Assert.Equal(2, error.Line);
    }
}
