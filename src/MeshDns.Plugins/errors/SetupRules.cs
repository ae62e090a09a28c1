using MeshDns.Server.Plugins;

namespace MeshDns.Plugins;

/// <summary>Checks several operational plugins share, with CoreDNS's wording.</summary>
internal static class SetupRules
{
    /// <summary>CoreDNS's <c>plugin.ErrOnce</c>.</summary>
    public const string OnceMessage = "this plugin can only be used once per Server Block";

    /// <summary>
    /// Reports CoreDNS's <c>ErrOnce</c> when the directive already appeared in this server block. Returns false
    /// (and the caller stops) on the second and later occurrences.
    /// </summary>
    public static bool FirstInBlock(PluginSetupContext context)
    {
        if (context.Block.SeenDirectives.Contains(context.Directive.Name))
        {
            context.Error(OnceMessage);
            return false;
        }

        return true;
    }
}
