using System.Text;

namespace Hephaestus.Data.Imports;

/// <summary>A CSV record: its fields and the line of the file it starts on (the header is line 1).</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>A file that is not CSV from <see cref="Line"/> on; nothing after it can be read reliably.</summary>
public sealed class CsvFormatException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}

/// <summary>
/// Reads RFC 4180 CSV as school information systems write it, streaming (a record at a time, never the whole file):
/// fields separated by commas, records by CRLF or a bare LF (or CR), a field in double quotes may hold commas, line
/// breaks and doubled quotes; a UTF-8 byte order mark is skipped. A quote inside an unquoted field is kept as it is
/// (exporters write <c>5" screen</c>); text after a closing quote other than a comma or a line break, or a quote left
/// open at the end of the file, is a <see cref="CsvFormatException"/>. Blank lines are skipped.
/// </summary>
public sealed class CsvReader(TextReader reader)
{
    readonly char[] _buffer = new char[16 * 1024];
    int _length;
    int _position;
    int _line = 1;
    bool _ended;

    /// <summary>Reads a file as UTF-8 (a byte order mark is skipped) without closing the stream.</summary>
    public static CsvReader Utf8(Stream stream) =>
        new(new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024, leaveOpen: true));

    /// <summary>The next record, or null at the end of the file.</summary>
    public async ValueTask<CsvRecord?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            var c = await PeekAsync(ct);
            if (c is null) return null;
            if (c is '\r' or '\n')
            {
                await EndOfLineAsync(ct);
                continue;
            }

            var start = _line;
            var fields = new List<string>();
            var field = new StringBuilder();
            while (true)
            {
                await ReadFieldAsync(field, ct);
                fields.Add(field.ToString());
                field.Clear();
                var next = await PeekAsync(ct);
                if (next == ',')
                {
                    _position++;
                    continue;
                }

                if (next is '\r' or '\n') await EndOfLineAsync(ct);
                return new CsvRecord(start, fields);
            }
        }
    }

    async ValueTask ReadFieldAsync(StringBuilder field, CancellationToken ct)
    {
        if (await PeekAsync(ct) != '"')
        {
            while (await PeekAsync(ct) is { } c && c is not (',' or '\r' or '\n'))
            {
                field.Append(c);
                _position++;
            }

            return;
        }

        var opened = _line;
        _position++;
        while (true)
        {
            var c = await PeekAsync(ct) ?? throw new CsvFormatException(opened, "a quoted field is not closed before the end of the file");
            _position++;
            if (c == '"')
            {
                if (await PeekAsync(ct) == '"')
                {
                    field.Append('"');
                    _position++;
                    continue;
                }

                var after = await PeekAsync(ct);
                if (after is null or ',' or '\r' or '\n') return;
                throw new CsvFormatException(_line, $"'{after}' follows a closing quote; a quote inside a quoted field is written twice (\"\")");
            }

            if (c == '\n' || (c == '\r' && await PeekAsync(ct) != '\n')) _line++;
            field.Append(c);
        }
    }

    /// <summary>Consumes one line break: CRLF, LF or CR.</summary>
    async ValueTask EndOfLineAsync(CancellationToken ct)
    {
        if (await PeekAsync(ct) == '\r')
        {
            _position++;
            if (await PeekAsync(ct) == '\n') _position++;
        }
        else
        {
            _position++;
        }

        _line++;
    }

    async ValueTask<char?> PeekAsync(CancellationToken ct)
    {
        if (_position < _length) return _buffer[_position];
        if (_ended) return null;
        _length = await reader.ReadAsync(_buffer.AsMemory(), ct);
        _position = 0;
        if (_length > 0) return _buffer[0];
        _ended = true;
        return null;
    }
}
