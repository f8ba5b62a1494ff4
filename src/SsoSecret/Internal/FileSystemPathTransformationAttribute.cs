using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;

namespace SsoSecret.Internal;

/// <summary>
/// Lets a string path parameter take a <see cref="FileSystemInfo"/> too. PowerShell would otherwise turn a FileInfo
/// into the text it was made from, which may be relative to the process's folder rather than to PowerShell's
/// location: its full name is used instead.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class FileSystemPathTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>
    /// For a parameter that takes wildcards: the full name of a FileInfo is escaped, because a file that exists names
    /// itself, never a pattern. Without it, a piped 'backup[1].bak' would be read as a pattern that matches
    /// 'backup1.bak' and not itself.
    /// </summary>
    public bool EscapeWildcards { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is FileSystemInfo info)
        {
            return Name(info);
        }

        if (value is IEnumerable items && value is not string)
        {
            var paths = new List<object>();
            foreach (object item in items)
            {
                object element = item is PSObject p ? p.BaseObject : item;
                paths.Add(element is FileSystemInfo fileInfo ? Name(fileInfo) : item);
            }

            return paths.ToArray();
        }

        return inputData;
    }

    private string Name(FileSystemInfo info) => EscapeWildcards ? WildcardPattern.Escape(info.FullName) : info.FullName;
}
