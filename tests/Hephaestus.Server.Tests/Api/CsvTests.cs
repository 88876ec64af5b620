using Hephaestus.Server.Api;

namespace Hephaestus.Server.Tests.Api;

public class CsvTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("=1+2", "\"'=1+2\"")]
    [InlineData("+1", "\"'+1\"")]
    [InlineData("-1", "\"'-1\"")]
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("\tcmd", "\"'\tcmd\"")]
    [InlineData("a=b", "a=b")]
    public void A_field_is_quoted_when_it_must_be_and_can_never_start_a_formula(string? value, string expected) =>
        Assert.Equal(expected, Csv.Field(value));

    [Fact]
    public void Rows_end_with_crlf_and_keep_empty_fields()
    {
        Assert.Equal("a,,c\r\n1,\"x,y\",\r\n", Csv.Write([["a", null, "c"], ["1", "x,y", ""]]));
    }
}
