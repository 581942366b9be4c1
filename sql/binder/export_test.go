package binder_test

import "github.com/tocsin-db/tocsin/sql/plan"

func planExplain(n plan.Node) string { return plan.Explain(n) }
