using System.Text.Json.Nodes;
using Urumi.Functions.Audit;

namespace Urumi.Functions.Tests.Audit;

public sealed class AuditExportTests
{
    private static readonly AuditEvent Failed = new("shop-1a2b", "shop-1a2b.provision.1", "create", "step", "InstallRelease",
        new DateTimeOffset(2026, 11, 30, 1, 2, 3, TimeSpan.Zero), new DateTimeOffset(2026, 11, 30, 1, 2, 4, TimeSpan.Zero), "failed",
        "helm said \"no\", twice\nthen stopped", "alice", "10.0.0.1");

    [Fact]
    public void Csv_has_a_header_and_quotes_cells_with_commas_quotes_and_newlines()
    {
        var csv = AuditExport.ToCsv([Failed]);

        var lines = csv.Split("\r\n");
        Assert.Equal("at,endedAt,storeId,instanceId,action,kind,step,outcome,error,requestedBy,clientIp", lines[0]);
        Assert.StartsWith("2026-11-30T01:02:03.000Z,2026-11-30T01:02:04.000Z,shop-1a2b,shop-1a2b.provision.1,create,step,InstallRelease,failed,", lines[1]);
        Assert.Contains("\"helm said \"\"no\"\", twice\nthen stopped\",alice,10.0.0.1\r\n", csv);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+1", "\"'+1\"")]
    [InlineData("@sum", "\"'@sum\"")]
    [InlineData("plain", "plain")]
    [InlineData(null, "")]
    public void Csv_cells_that_a_spreadsheet_would_run_as_formulas_are_shown_as_text(string? value, string cell) =>
        Assert.Equal(cell, AuditExport.Cell(value));

    [Fact]
    public void Ndjson_is_one_json_object_per_line()
    {
        var lines = AuditExport.ToNdjson([Failed, Failed with { Kind = "finished" }]).Split('\n');

        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        Assert.Equal("InstallRelease", (string?)JsonNode.Parse(lines[0])!["step"]);
        Assert.Equal("finished", (string?)JsonNode.Parse(lines[1])!["kind"]);
    }
}
