//! The read-only SQL guard, on the stack size the CLI and the server give queries: a verdict,
//! never a panic or a stack overflow.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let Ok(sql) = std::str::from_utf8(bytes) else {
        return;
    };
    let sql = sql.to_string();
    std::thread::Builder::new()
        .stack_size(evlake_query::QUERY_STACK_BYTES)
        .spawn(move || {
            let _ = evlake_query::check_read_only(&sql);
        })
        .expect("a thread")
        .join()
        .expect("the guard does not panic");
});
