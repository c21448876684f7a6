// Package flagenv fills a flag.FlagSet from the command line and from
// ROOMSHARD_<FLAG> environment variables (upper snake case); a flag given on
// the command line wins. Safe for concurrent use on distinct FlagSets.
package flagenv
