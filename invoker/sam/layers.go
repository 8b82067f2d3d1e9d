package sam

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// Resource types of layers.
const (
	serverlessLayer = "AWS::Serverless::LayerVersion"
	lambdaLayer     = "AWS::Lambda::LayerVersion"
)

// maxLayers is how many layers Lambda lets a function use.
const maxLayers = 5

// functionLayers reads a function's Layers (after Globals: SAM concatenates
// the lists, Globals first), in the order Lambda extracts them into /opt.
// A layer of the template (!Ref to a LayerVersion) is used from its local
// content; one given by ARN only when LayerDirs supplies a folder for it.
func (l *loader) functionLayers(function, runtime string, raw any) []lambdadeck.Layer {
	list, ok := l.resolver.evalShallow(raw, site{function, "Layers"}).([]any)
	if !ok {
		l.warn("%s: Layers is not a list; ignored", function)
		return nil
	}
	if len(list) > maxLayers {
		l.warn("%s: %d layers, but Lambda allows at most %d per function", function, len(list), maxLayers)
	}
	var layers []lambdadeck.Layer
	for i, item := range list {
		s := site{function, "Layers"}
		if name, arg, ok := intrinsic(item); ok && name == "Ref" {
			if id, ok := arg.(string); ok && l.isLayer(id) {
				if layer := l.layer(id); layer != nil {
					l.checkCompatible(function, runtime, layer)
					layers = append(layers, *layer)
				}
				continue
			}
		}
		v := l.resolver.eval(item, s)
		arn, ok := v.(string)
		if !ok {
			l.warn("%s: layer %d (%s) does not resolve to a layer of the template or an ARN; it is left out", function, i+1, renderArg(v))
			continue
		}
		layer := lambdadeck.Layer{Name: layerNameFromARN(arn), ARN: arn}
		if dir, ok := l.opts.LayerDirs[arn]; ok {
			l.usedLayers[arn] = true
			if l.checkLayerDir(function, arn, dir) {
				layer.ContentDir = dir
				layers = append(layers, layer)
			}
			continue
		}
		l.warn("%s: layer %s is given by ARN and cannot be fetched; its code and libraries will be missing. Supply a local copy with --layer-dir %s=FOLDER", function, arn, arn)
	}
	return layers
}

// isLayer reports whether id is a LayerVersion of the template.
func (l *loader) isLayer(id string) bool {
	res, ok := l.resources[id].(map[string]any)
	if !ok {
		return false
	}
	typ, _ := res["Type"].(string)
	return typ == serverlessLayer || typ == lambdaLayer
}

// layer builds the LayerVersion with the given logical ID, once; nil when
// its content is not available locally (the reason is a warning).
func (l *loader) layer(id string) *lambdadeck.Layer {
	if layer, done := l.layers[id]; done {
		return layer
	}
	l.layers[id] = nil
	res := l.resources[id].(map[string]any)
	props, _ := res["Properties"].(map[string]any)
	s := site{id, ""}
	get := func(key string) any {
		s.property = key
		v := l.resolver.eval(props[key], s)
		if _, drop := v.(noValue); drop {
			return nil
		}
		return v
	}
	layer := &lambdadeck.Layer{LogicalID: id, Name: id}
	if name, ok := get("LayerName").(string); ok && name != "" {
		layer.Name = name
	}
	if list, ok := get("CompatibleRuntimes").([]any); ok {
		for _, item := range list {
			if s, ok := item.(string); ok {
				layer.CompatibleRuntimes = append(layer.CompatibleRuntimes, s)
			}
		}
	}
	if meta, ok := res["Metadata"].(map[string]any); ok {
		if v, ok := l.resolver.eval(meta["BuildMethod"], site{id, "Metadata.BuildMethod"}).(string); ok {
			layer.BuildMethod = v
		}
		if v, ok := l.resolver.eval(meta["BuildProperties"], site{id, "Metadata.BuildProperties"}).(map[string]any); ok {
			layer.BuildProperties = v
		}
	}

	property := "Content"
	if res["Type"] == serverlessLayer {
		property = "ContentUri"
	}
	if dir, ok := l.opts.LayerDirs[id]; ok {
		l.usedLayers[id] = true
		if !l.checkLayerDir(id, id, dir) {
			return nil
		}
		layer.ContentDir = dir
		l.layers[id] = layer
		return layer
	}
	switch v := get(property).(type) {
	case string:
		if strings.HasPrefix(v, "s3://") {
			l.warn("layer %s: its %s is in S3 (%s); supply a local copy with --layer-dir %s=FOLDER", id, property, v, id)
			return nil
		}
		path := filepath.FromSlash(v)
		if !filepath.IsAbs(path) {
			path = filepath.Join(l.dir, path)
		}
		path = filepath.Clean(path)
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			l.warn("layer %s: %s %s does not exist; the layer is left out", id, property, v)
			return nil
		case !fi.IsDir():
			l.warn("layer %s: %s %s is not a folder (unpack a zip archive); the layer is left out", id, property, v)
			return nil
		}
		layer.ContentDir = path
	case nil:
		l.warn("layer %s: no %s; the layer is left out", id, property)
		return nil
	default:
		l.warn("layer %s: its %s %s is not a local folder; supply one with --layer-dir %s=FOLDER", id, property, renderArg(v), id)
		return nil
	}
	l.layers[id] = layer
	return layer
}

// checkLayerDir says whether a --layer-dir folder can serve a layer.
func (l *loader) checkLayerDir(where, key, dir string) bool {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		l.warn("%s: --layer-dir %s=%s is not a folder; the layer is left out", where, key, dir)
		return false
	}
	return true
}

// checkCompatible warns when a layer does not list the function's runtime:
// Lambda refuses such a function.
func (l *loader) checkCompatible(function, runtime string, layer *lambdadeck.Layer) {
	if len(layer.CompatibleRuntimes) > 0 && runtime != "" && !slices.Contains(layer.CompatibleRuntimes, runtime) {
		l.warn("%s: layer %s lists CompatibleRuntimes %s, not %s", function, layer.Name, strings.Join(layer.CompatibleRuntimes, ", "), runtime)
	}
}

// layerARN matches a layer version's ARN, capturing the layer's name.
var layerARN = regexp.MustCompile(`^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:layer:([A-Za-z0-9_-]+):\d+$`)

// layerNameFromARN returns the layer name an ARN carries, else the ARN.
func layerNameFromARN(arn string) string {
	if m := layerARN.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return arn
}

// mountPath is what Lambda accepts as a LocalMountPath.
var mountPath = regexp.MustCompile(`^/mnt/[A-Za-z0-9_.-]+$`)

// fileSystems reads FileSystemConfigs. Lambda mounts each at its
// LocalMountPath; here a folder given with --mount serves it.
func (l *loader) fileSystems(function string, v any) []lambdadeck.FileSystem {
	list, ok := v.([]any)
	if !ok {
		l.warn("%s: FileSystemConfigs is not a list; ignored", function)
		return nil
	}
	var out []lambdadeck.FileSystem
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			l.warn("%s: a FileSystemConfigs entry is not a map; ignored", function)
			continue
		}
		arn, _ := stringify(m["Arn"])
		path, ok := m["LocalMountPath"].(string)
		if !ok || !mountPath.MatchString(path) {
			l.warn("%s: FileSystemConfigs LocalMountPath %s is not /mnt/NAME, as Lambda requires; ignored", function, renderArg(m["LocalMountPath"]))
			continue
		}
		fs := lambdadeck.FileSystem{ARN: arn, LocalMountPath: path}
		if dir, ok := l.opts.Mounts[path]; ok {
			l.usedMounts[path] = true
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				l.warn("%s: --mount %s=%s is not a folder; the file system is not available", function, path, dir)
			} else {
				fs.LocalDir = dir
			}
		} else {
			l.warn("%s: FileSystemConfigs mounts a file system at %s, which lambdadeck cannot attach; serve it from a local folder with --mount %s=FOLDER", function, path, path)
		}
		out = append(out, fs)
	}
	return out
}

// unusedOptions warns about --layer-dir and --mount entries that matched
// nothing: a typo there must not go unnoticed.
func (l *loader) unusedOptions() {
	for _, key := range sortedStringKeys(l.opts.LayerDirs) {
		if !l.usedLayers[key] {
			l.warn("--layer-dir %s matches no layer of any function (give a layer's ARN as the template writes it, or a LayerVersion's logical ID)", key)
		}
	}
	for _, key := range sortedStringKeys(l.opts.Mounts) {
		if !l.usedMounts[key] {
			l.warn("--mount %s matches no FileSystemConfigs LocalMountPath of any function", key)
		}
	}
	for _, key := range sortedStringKeys(l.opts.Parameters) {
		if !l.resolver.knownOverride(key) {
			l.warn("--parameter-overrides %s matches no parameter or resource of the template", key)
		}
	}
}

func sortedStringKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
