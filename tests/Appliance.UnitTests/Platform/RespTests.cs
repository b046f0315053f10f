using System.Text;
using Appliance.Platform.Redis;

namespace Appliance.UnitTests.Platform;

public sealed class RespTests
{
    [Fact]
    public void Commands_are_encoded_as_arrays_of_bulk_strings_counting_bytes()
    {
        var bytes = RedisClient.Encode(["SET", "k", "ü"]);
        Assert.Equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nü\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData("+OK\r\n", RedisValueKind.SimpleString, "OK")]
    [InlineData("-ERR wrong\r\n", RedisValueKind.Error, "ERR wrong")]
    [InlineData("$5\r\nhello\r\n", RedisValueKind.BulkString, "hello")]
    [InlineData("$0\r\n\r\n", RedisValueKind.BulkString, "")]
    [InlineData("$-1\r\n", RedisValueKind.Null, null)]
    [InlineData("*-1\r\n", RedisValueKind.Null, null)]
    public async Task Scalar_replies_parse(string wire, RedisValueKind kind, string? text)
    {
        var value = await new RedisClient.RespReader(new MemoryStream(Encoding.UTF8.GetBytes(wire))).ReadAsync(CancellationToken.None);
        Assert.Equal(kind, value.Kind);
        Assert.Equal(text, value.Text);
    }

    [Fact]
    public async Task Integers_and_nested_arrays_parse_across_tiny_reads()
    {
        var wire = Encoding.UTF8.GetBytes("*3\r\n:-42\r\n*2\r\n$3\r\nabc\r\n$-1\r\n+x\r\n");
        var value = await new RedisClient.RespReader(new OneByteStream(wire)).ReadAsync(CancellationToken.None);
        Assert.Equal(RedisValueKind.Array, value.Kind);
        Assert.Equal(-42, value.Items![0].Number);
        Assert.Equal("abc", value.Items[1].Items![0].Text);
        Assert.True(value.Items[1].Items![1].IsNull);
        Assert.Equal("x", value.Items[2].Text);
    }

    [Theory]
    [InlineData("?what\r\n")]
    [InlineData(":12a\r\n")]
    public async Task Garbage_is_an_io_error(string wire) =>
        await Assert.ThrowsAsync<IOException>(() => new RedisClient.RespReader(new MemoryStream(Encoding.UTF8.GetBytes(wire))).ReadAsync(CancellationToken.None));

    [Fact]
    public async Task A_closed_connection_is_end_of_stream() =>
        await Assert.ThrowsAsync<EndOfStreamException>(() => new RedisClient.RespReader(new MemoryStream(Encoding.UTF8.GetBytes("$5\r\nhel"))).ReadAsync(CancellationToken.None));

    private sealed class OneByteStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
