//! Printers: pp, debugprint, graphviz DOT (to be written).
