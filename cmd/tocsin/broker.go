package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
)

func newBrokerCmd() *cobra.Command {
	var addr, dataDir, logLevel string
	var partitions int
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run only the embedded Kafka-protocol broker (for tests and local experiments)",
		Long: `Run the playground's embedded Kafka-protocol broker (franz-go's kfake) on its
own, with its log kept in --data-dir so records survive a restart. Tests use
it to keep the broker alive while a Tocsin server is killed and restarted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := serverFlags{logLevel: logLevel, logFormat: "text"}
			log, err := f.logger()
			if err != nil {
				return err
			}
			b, err := broker.Start(cmd.Context(), broker.Config{Addr: addr, DataDir: dataDir, Partitions: partitions, Logger: log})
			if err != nil {
				return err
			}
			defer b.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "Kafka broker: %s\n", b.Addr())
			<-cmd.Context().Done()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:9092", "listen address (port 0 picks a free port, printed on start)")
	fl.StringVar(&dataDir, "data-dir", "", "directory for the broker's log (empty: in memory)")
	fl.IntVar(&partitions, "partitions", broker.DefaultPartitions, "partitions of automatically created topics")
	fl.StringVar(&logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	return cmd
}
