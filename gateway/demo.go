package gateway

import _ "embed"

// demoPage is the minimal browser client served at GET / to browsers. A
// later issue replaces it with the full chat demo.
//
//go:embed demo.html
var demoPage []byte
