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
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is FileSystemInfo info)
        {
            return info.FullName;
        }

        if (value is IEnumerable items && value is not string)
        {
            var paths = new List<object>();
            foreach (object item in items)
            {
                object element = item is PSObject p ? p.BaseObject : item;
                paths.Add(element is FileSystemInfo fileInfo ? fileInfo.FullName : item);
            }

            return paths.ToArray();
        }

        return inputData;
    }
}
