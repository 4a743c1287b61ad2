package store

import (
	"slices"
	"strings"
)

// EncodeZones writes a zone list as the tasks table keeps it: ",a,b,", or
// "" for an empty list, so that a query finds zone z with ",z,".
func EncodeZones(zones []string) string {
	if len(zones) == 0 {
		return ""
	}
	return "," + strings.Join(zones, ",") + ","
}

// DecodeZones reads a zone list EncodeZones wrote.
func DecodeZones(s string) []string {
	return slices.DeleteFunc(strings.Split(s, ","), func(z string) bool { return z == "" })
}
