using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Urumi.Hosting.Http;

namespace Urumi.Hosting.Tests.Http;

public sealed class FunctionKeysTests
{
    private static readonly FunctionKeys Keys = new(Options.Create(new AuthOptions
    {
        AdminKey = "admin-new, admin-old",
        Keys = new Dictionary<string, string> { ["alice"] = "alice-new alice-old", ["bob"] = "bob-only" },
    }), NullLogger<FunctionKeys>.Instance);

    [Theory]
    [InlineData("alice-new", "alice")]
    [InlineData("alice-old", "alice")]
    [InlineData("bob-only", "bob")]
    [InlineData("admin-new", FunctionKeys.AdminKeyName)]
    [InlineData("admin-old", FunctionKeys.AdminKeyName)]
    public void Every_key_listed_for_a_name_is_that_name_so_a_key_is_rotated_with_both_valid(string presented, string name)
    {
        var context = Presenting(presented);

        var refusal = Keys.Authorize(context, AuthorizationLevel.Function);

        Assert.Null(refusal);
        Assert.Equal(name, FunctionKeys.CallerKeyName(context));
    }

    [Theory]
    [InlineData("alice-new alice-old")]
    [InlineData("alice-new,")]
    [InlineData("alice")]
    [InlineData("")]
    public void A_list_part_of_a_key_or_a_name_is_not_a_key(string presented)
    {
        var context = Presenting(presented);

        Assert.NotNull(Keys.Authorize(context, AuthorizationLevel.Function));
        Assert.Null(FunctionKeys.CallerKeyName(context));
    }

    [Fact]
    public void Only_the_admin_keys_pass_the_admin_level_and_the_first_is_the_hosts_own()
    {
        Assert.Null(Keys.Authorize(Presenting("admin-old"), AuthorizationLevel.Admin));
        Assert.NotNull(Keys.Authorize(Presenting("alice-new"), AuthorizationLevel.Admin));
        Assert.Equal("admin-new", Keys.AdminKey);
    }

    [Fact]
    public void A_key_listed_under_two_names_is_refused_and_one_listed_twice_for_one_name_is_not()
    {
        var shared = new AuthOptions { AdminKey = "a", Keys = new Dictionary<string, string> { ["alice"] = "k1 k2", ["bob"] = "k2" } };
        var sharedWithAdmin = new AuthOptions { AdminKey = "k1", Keys = new Dictionary<string, string> { ["alice"] = "k1" } };
        var repeated = new AuthOptions { AdminKey = "a", Keys = new Dictionary<string, string> { ["alice"] = "k1 k1" } };

        Assert.False(AuthOptions.EachKeyNamesOneCaller(shared));
        Assert.False(AuthOptions.EachKeyNamesOneCaller(sharedWithAdmin));
        Assert.True(AuthOptions.EachKeyNamesOneCaller(repeated));
    }

    private static DefaultHttpContext Presenting(string key)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["x-functions-key"] = key;
        return context;
    }
}
