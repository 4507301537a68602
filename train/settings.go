package train

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Setting is one field of a Recipe or Options, named by its JSON key: the
// same name is its flag, its key in config.json and in the log. It
// implements flag.Value, so the command line is built from the structs and
// cannot drift from them.
type Setting struct {
	Key, Help string
	v         reflect.Value
}

// Settings lists the fields of *Recipe or *Options (any struct pointer
// whose fields carry json tags), in declaration order, bound to ptr.
func Settings(ptr any) []Setting {
	v := reflect.ValueOf(ptr).Elem()
	var out []Setting
	for i := range v.NumField() {
		f := v.Type().Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, Setting{Key: key, Help: f.Tag.Get("help"), v: v.Field(i)})
	}
	return out
}

// Value is the setting's current value.
func (s Setting) Value() any { return s.v.Interface() }

// String formats the value as its flag would be written.
func (s Setting) String() string {
	if !s.v.IsValid() {
		return "" // the flag package formats a zero Setting
	}
	switch x := s.v.Interface().(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []int:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(x)
	}
}

// Set parses a flag's text into the field.
func (s Setting) Set(text string) error {
	switch s.v.Kind() {
	case reflect.Int:
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("%q is not an integer", text)
		}
		s.v.SetInt(int64(n))
	case reflect.Uint64:
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer", text)
		}
		s.v.SetUint(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", text)
		}
		s.v.SetFloat(x)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("%q is not true or false", text)
		}
		s.v.SetBool(b)
	case reflect.String:
		s.v.SetString(text)
	case reflect.Slice: // []int; empty text is the empty list
		out := []int{}
		if strings.TrimSpace(text) != "" {
			for f := range strings.SplitSeq(text, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil {
					return fmt.Errorf("%q is not a list of integers", text)
				}
				out = append(out, n)
			}
		}
		s.v.Set(reflect.ValueOf(out))
	default:
		return fmt.Errorf("setting %s: unsupported type %s", s.Key, s.v.Type())
	}
	return nil
}

// Type names the value's kind for help texts: int, uint, float, string or
// list; empty for a boolean, which is given as a bare --flag.
func (s Setting) Type() string {
	if !s.v.IsValid() {
		return ""
	}
	return map[reflect.Kind]string{reflect.Int: "int", reflect.Uint64: "uint", reflect.Float64: "float",
		reflect.String: "string", reflect.Slice: "list"}[s.v.Kind()]
}

// IsBoolFlag lets a boolean setting be given as a bare --flag.
func (s Setting) IsBoolFlag() bool { return s.v.IsValid() && s.v.Kind() == reflect.Bool }

// SettingError is a setting's bad value, naming the setting by its key (a
// form can show it next to the field; the command line prints Msg).
type SettingError struct {
	Key string
	Msg string
}

func (e *SettingError) Error() string { return e.Msg }

func bad(key, format string, args ...any) error {
	return &SettingError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Set assigns value (as a flag would give it) to the setting key of the
// struct ptr points to.
func Set(ptr any, key, value string) error {
	for _, s := range Settings(ptr) {
		if s.Key == key {
			if err := s.Set(value); err != nil {
				return bad(key, "--%s: %v", key, err)
			}
			return nil
		}
	}
	return bad(key, "--%s: no such setting", key)
}

// LogAttrs lists key, value pairs of every setting of ptr, for slog.
func LogAttrs(ptr any) []any {
	var out []any
	for _, s := range Settings(ptr) {
		out = append(out, s.Key, s.Value())
	}
	return out
}
