using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Tests.Stores;

/// <summary>The store body binder on its own: what it accepts, and the field each refusal names.</summary>
public sealed class StoreRequestBodyTests
{
    [Fact]
    public async Task A_valid_body_is_read_with_the_small_plan_by_default()
    {
        var (body, problem) = await ReadAsync("""{"name": "shop", "engine": "medusa", "keepFailed": true}""");

        Assert.Null(problem);
        Assert.Equal(new StoreRequestBody("shop", "medusa", "small", true), body);
    }

    [Theory]
    [InlineData("""{"name": "shop\ud800", "engine": "woocommerce"}""", "name", "printable")]
    [InlineData("""{"name": "shop", "engine": "woocommerce", "\ud800": 1}""", "body", "field name")]
    [InlineData("""{"name": "shop", "engine": "medusa", "engine": "woocommerce"}""", "engine", "more than once")]
    [InlineData("""{"name": "shop", "engine": "medusa", "extra": 1}""", "extra", "unknown field")]
    [InlineData("""{"name": "shop", "engine": "medusa", "Name": "x"}""", "Name", "unknown field")]
    [InlineData("""{"name": 42, "engine": "medusa"}""", "name", "must be a string")]
    [InlineData("""{"name": "shop", "engine": "medusa", "keepFailed": "yes"}""", "keepFailed", "true or false")]
    [InlineData("""{"name": "shop", "engine": """, "body", "not valid JSON")]
    [InlineData("""[1]""", "body", "JSON object")]
    [InlineData("""null""", "body", "JSON object")]
    [InlineData("""{"engine": "medusa"}""", "name", "is required")]
    [InlineData("""{"name": "Shop", "engine": "medusa"}""", "name", "DNS-1123")]
    [InlineData("""{"name": "shop", "engine": "magento"}""", "engine", "woocommerce, medusa")]
    [InlineData("""{"name": "shop", "engine": "medusa", "plan": "huge"}""", "plan", "small, medium")]
    public async Task A_body_that_cannot_be_a_store_request_is_a_400_naming_the_field(string json, string field, string says)
    {
        var (body, problem) = await ReadAsync(json);

        Assert.Null(body);
        var errors = (await ProblemAsync(problem!))["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), errors.ToJsonString());
        Assert.Contains(says, errors[field]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_field_that_fails_its_check_is_named_at_once()
    {
        var (_, problem) = await ReadAsync("""{"name": "Shop", "engine": "magento", "plan": "huge"}""");

        var errors = (await ProblemAsync(problem!))["errors"]!.AsObject();
        Assert.Equal(["name", "engine", "plan"], errors.Select(e => e.Key));
    }

    private static Task<(StoreRequestBody? Body, IResult? Problem)> ReadAsync(string json)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return StoreRequestBody.ReadAsync(context.Request, CancellationToken.None);
    }

    private static async Task<JsonNode> ProblemAsync(IResult problem)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider() };
        var output = new MemoryStream();
        context.Response.Body = output;
        await problem.ExecuteAsync(context);
        Assert.Equal(400, context.Response.StatusCode);
        return JsonNode.Parse(output.ToArray())!;
    }
}
