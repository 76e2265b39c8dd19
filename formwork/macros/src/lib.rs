//! `#[formwork::action]`: one declaration per server action.
//!
//! Use it through the `formwork` crate (`formwork::action`); this crate only holds the
//! attribute's code, as a procedural macro must live in a crate of its own.
//!
//! The attribute turns an `async fn` into a Leptos server function (`#[server]`, with the
//! generated type named as `#[server]` would name it) and adds what formwork needs around it:
//!
//! ```text
//! #[formwork::action(access = SignedIn, rate_limit = per_user(30).per_hour(), body_limit = 64 KiB)]
//! pub async fn create_post(me: Principal, #[server(flatten)] post: NewPost) -> Result<…, ActionError>
//!
//!  → #[server(name = CreatePost)] pub async fn create_post(#[server(flatten)] post: NewPost) -> … {
//!        let me: Principal = <the session's user, admitted by the policy>?;
//!        let post = <post checked against its schema, if it has one: 422 with every message>?;
//!        <the body as written>
//!    }
//!  → the declaration the pipeline reads: access, body limit, rate limit, what it revalidates
//!    (server build only)
//!  → impl formwork::Action for CreatePost { type Schema = NewPost; }   (what its form renders)
//! ```

mod schema;
mod settings;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote, quote_spanned};
use settings::{Access, Method, Settings};
use syn::{parse_macro_input, spanned::Spanned, FnArg, ItemFn, Pat, Type};

/// Declares an action: a server function with its access policy and, optionally, its rate
/// limit, body limit and method. See `formwork::action` for the full description.
#[proc_macro_attribute]
pub fn action(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function = parse_macro_input!(item as ItemFn);
    match syn::parse::<Settings>(attr).and_then(|settings| expand(settings, function.clone())) {
        Ok(expanded) => expanded.into(),
        // The function stays, as written: the error is the only one its callers see.
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#error #function).into()
        }
    }
}

/// Declares an action's input struct and the rule of each field. See `formwork::schema!`.
#[proc_macro]
pub fn schema(input: TokenStream) -> TokenStream {
    schema::expand(parse_macro_input!(input as schema::SchemaInput)).into()
}

fn expand(settings: Settings, mut function: ItemFn) -> syn::Result<Tokens> {
    let Some(access) = &settings.access else {
        return Err(syn::Error::new(
            settings.span,
            format!(
                "`{}` declares no access policy: add `access = Public`, `access = SignedIn` or \
                 `access = AtLeast(rank)` to #[formwork::action(…)]",
                function.sig.ident
            ),
        ));
    };
    let name = settings
        .name
        .clone()
        .unwrap_or_else(|| type_name(&function.sig.ident));

    let principal = take_principal(&mut function, access)?;
    let schema = flattened_schema(&function)?;
    let checks = input_checks(&function)?;

    // Who may call it is checked again in the body: a page may call the function directly,
    // without the pipeline in front of it.
    let access_value = access.value();
    let admit = match (access, &principal) {
        (Access::Public, _) => quote!(),
        (_, Some((pat, ty))) => quote_spanned! {ty.span()=>
            let #pat: #ty = ::formwork::__private::admit_principal(#access_value)?;
        },
        (_, None) => quote! {
            ::formwork::__private::admit(#access_value)?;
        },
    };
    let body = &function.block;
    function.block = syn::parse_quote!({
        #admit
        #(#checks)*
        #body
    });

    let mut server = vec![quote!(name = #name)];
    if let Some(Method::Get) = settings.method {
        server.push(quote!(input = ::leptos::server_fn::codec::GetUrl));
    }
    server.extend(settings.server.iter().cloned());

    let optional = |value: Option<Tokens>| match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let body_limit = optional(settings.body_limit.clone());
    let rate_limit = optional(settings.rate_limit.as_ref().map(|e| quote!(#e)));
    // A read revalidates nothing unless it says so (and the pipeline holds it to that).
    let revalidates = match (&settings.revalidates, &settings.method) {
        (None, Some(Method::Get)) => Some(quote!(&[])),
        (list, _) => list.as_ref().map(|list| quote!(&[#(#list),*])),
    };
    let revalidates = optional(revalidates);
    let schema = match schema {
        Some(ty) => quote!(#ty),
        None => quote!(::formwork::schema::NoFields),
    };

    // The principal's type stays named in every build (the browser's has no body), so the
    // import that names it is used in both.
    let principal_type = principal.as_ref().map(
        |(_, ty)| quote!(const _: ::core::option::Option<fn(#ty)> = ::core::option::Option::None;),
    );

    Ok(quote! {
        #[::leptos::server(#(#server),*)]
        #function

        #principal_type

        ::formwork::__declare! {
            #name, #access_value, #body_limit, #rate_limit, #revalidates
        }

        impl ::formwork::Action for #name {
            type Schema = #schema;
        }
    })
}

/// The type `#[server]` generates for `function`: its name in UpperCamelCase, split at `_`
/// only, each word capitalised (`create_post` → `CreatePost`, `add_todo2` → `AddTodo2`).
fn type_name(function: &syn::Ident) -> syn::Ident {
    let name: String = function
        .to_string()
        .trim_start_matches("r#")
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect();
    format_ident!("{}", name, span = function.span())
}

/// Removes the argument of type `Principal` (the signed-in user), which the body receives from
/// the session: the client cannot send it. Only an action that requires a signed-in user has one.
fn take_principal(function: &mut ItemFn, access: &Access) -> syn::Result<Option<(Pat, Type)>> {
    let mut found = None;
    let mut kept = syn::punctuated::Punctuated::new();
    for argument in std::mem::take(&mut function.sig.inputs) {
        match &argument {
            FnArg::Typed(typed) if is_principal(&typed.ty) => {
                if matches!(access, Access::Public) {
                    return Err(syn::Error::new(
                        typed.ty.span(),
                        "a public action has no signed-in user to receive: declare \
                         `access = SignedIn` (or `AtLeast(rank)`), or read \
                         `formwork::identity::current()` in the body",
                    ));
                }
                if found.is_some() {
                    return Err(syn::Error::new(
                        typed.span(),
                        "an action receives the signed-in user once",
                    ));
                }
                found = Some(((*typed.pat).clone(), (*typed.ty).clone()));
            }
            _ => kept.push(argument),
        }
    }
    function.sig.inputs = kept;
    Ok(found)
}

fn is_principal(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Principal" && last.arguments.is_empty()),
        _ => false,
    }
}

/// The argument marked `#[server(flatten)]`: its fields are the form's own, so its type is
/// the schema the action's forms render and check.
fn flattened_schema(function: &ItemFn) -> syn::Result<Option<Type>> {
    let mut flattened = function
        .sig
        .inputs
        .iter()
        .filter_map(|argument| match argument {
            FnArg::Typed(typed) if typed.attrs.iter().any(is_flatten) => Some(&typed.ty),
            _ => None,
        });
    let first = flattened.next().map(|ty| (**ty).clone());
    if let Some(second) = flattened.next() {
        return Err(syn::Error::new(
            second.span(),
            "an action's form fields are one flattened schema: join the two into one schema! struct",
        ));
    }
    Ok(first)
}

fn is_flatten(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("server")
        && attr
            .parse_args::<syn::Ident>()
            .is_ok_and(|ident| ident == "flatten")
}

/// For every argument: a schema's value is checked (and trimmed) before the body runs,
/// anything else passes as it came.
fn input_checks(function: &ItemFn) -> syn::Result<Vec<Tokens>> {
    function
        .sig
        .inputs
        .iter()
        .map(|argument| match argument {
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(pat) => {
                    let ident = &pat.ident;
                    let mutability = &pat.mutability;
                    Ok(quote_spanned! {typed.ty.span()=>
                        let #mutability #ident = {
                            #[allow(unused_imports)]
                            use ::formwork::__private::{CheckSchema as _, PassThrough as _};
                            ::formwork::__private::Input::new(#ident).arrive().checked()?
                        };
                    })
                }
                other => Err(syn::Error::new(
                    other.span(),
                    "an action's arguments are plain names (`post: NewPost`)",
                )),
            },
            FnArg::Receiver(receiver) => Err(syn::Error::new(
                receiver.span(),
                "an action is a free function, not a method",
            )),
        })
        .collect()
}
