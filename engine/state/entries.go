package state

import "sort"

// MapEntries iterates a map in key order, as stored state is read back.
func MapEntries(m map[string][]byte) Entries {
	return func(fn func(key, value []byte) error) error {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := fn([]byte(k), m[k]); err != nil {
				return err
			}
		}
		return nil
	}
}
